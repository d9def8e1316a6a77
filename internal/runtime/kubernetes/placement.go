package kubernetes

import (
	"fmt"
	"slices"
	"strings"

	corev1 "k8s.io/api/core/v1"
)

// nodeRoom is what a node can still take: CPU in millicores, memory in
// bytes and pods, after the requests of the pods bound to it.
type nodeRoom struct {
	name        string
	cpu, mem    int64
	pods        int64
	labels      map[string]string
	taints      []corev1.Taint
	unavailable bool // cordoned, not Ready or under a condition's taint: takes nothing
}

// quotaRoom is what a ResourceQuota of the namespace still allows; a
// negative field is not limited by it.
type quotaRoom struct {
	name           string
	cpu, mem, pods int64
}

// capacity is what the cluster offers a run that asks for admission.
type capacity struct {
	// nodes: free on each node; nil when the nodes cannot be read (no
	// capacity check, quotas only).
	nodes []nodeRoom
	// empty are the same nodes with nothing bound: whether a run can ever fit.
	empty []nodeRoom
	// waiting are pods of the namespace not bound to a node yet (and not
	// reserved below): placed first, where they fit.
	waiting []podDemand
	// reserved are the pods of runs admitted before that are not bound yet
	// (for nodes) or not created yet (for quotas).
	reservedUnbound, reservedUncreated []podDemand
	// runs is how many runs hold reservations.
	runs int
	// quotas: what each ResourceQuota of the namespace allows still, and
	// allowed with nothing used.
	quotas, quotaHard []quotaRoom
}

// admitRun decides whether a run with demand d fits the capacity c: its
// job runner, driver and minimum executors are placed, first fit, on the
// nodes' room left after the namespace's waiting pods and the reservations
// of runs admitted earlier, and fit every quota of the namespace. A run
// that could never fit with its executors, even on empty nodes and an
// unused quota, is asked for fewer (at least one); one whose job runner and
// driver can never fit is admitted, for Kubernetes to say why its pods
// stay Pending. executors is how many executors were counted; why, when
// not ok, says what the run waits for.
func admitRun(d runDemand, c capacity) (ok bool, executors int, why string) {
	n := d.executors
	for n > 1 && !fitsEmpty(d.pods(n), c) {
		n--
	}
	if !fitsEmpty(d.pods(n), c) {
		return true, n, ""
	}
	pods := d.pods(n)
	if c.nodes != nil {
		nodes := slices.Clone(c.nodes)
		for _, p := range c.waiting {
			place(nodes, p) // those that fit nowhere take nothing
		}
		for _, p := range c.reservedUnbound {
			if !place(nodes, p) {
				return false, n, fmt.Sprintf("Waiting for capacity: %d run(s) admitted before are not placed yet; needs %s.", c.runs, d.describe(n))
			}
		}
		left := slices.Clone(nodes)
		for _, p := range pods {
			if !place(nodes, p) {
				held := ""
				if c.runs > 0 {
					held = fmt.Sprintf(", %d admitted run(s) holding room until placed", c.runs)
				}
				return false, n, fmt.Sprintf("Waiting for capacity: needs %s; free on nodes %s%s.", d.describe(n), room(left), held)
			}
		}
	}
	for _, q := range c.quotas {
		for _, p := range c.reservedUncreated {
			if !take(&q, p) { // over the quota already: what it lacks is gone
				q = quotaRoom{name: q.name, cpu: drain(q.cpu, p.cpu), mem: drain(q.mem, p.mem), pods: drain(q.pods, 1)}
			}
		}
		left := q
		for _, p := range pods {
			if !take(&q, p) {
				return false, n, fmt.Sprintf("Waiting for quota: needs %s; ResourceQuota %s has %s left.", d.describe(n), q.name, quotaLeft(left))
			}
		}
	}
	return true, n, ""
}

// fitsEmpty reports whether pods fit the empty nodes and unused quotas.
func fitsEmpty(pods []podDemand, c capacity) bool {
	if c.empty != nil {
		nodes := slices.Clone(c.empty)
		for _, p := range pods {
			if !place(nodes, p) {
				return false
			}
		}
	}
	for _, q := range c.quotaHard {
		for _, p := range pods {
			if !take(&q, p) {
				return false
			}
		}
	}
	return true
}

// place puts p on the first node it fits and takes its room there.
func place(nodes []nodeRoom, p podDemand) bool {
	for i := range nodes {
		n := &nodes[i]
		if n.unavailable || n.pods < 1 || n.cpu < p.cpu || n.mem < p.mem || !matches(n.labels, p.nodeSelector) || !tolerates(p.tolerations, n.taints) {
			continue
		}
		n.cpu, n.mem, n.pods = n.cpu-p.cpu, n.mem-p.mem, n.pods-1
		return true
	}
	return false
}

// take counts p against quota q.
func take(q *quotaRoom, p podDemand) bool {
	if q.cpu >= 0 && q.cpu < p.cpu || q.mem >= 0 && q.mem < p.mem || q.pods >= 0 && q.pods < 1 {
		return false
	}
	if q.cpu >= 0 {
		q.cpu -= p.cpu
	}
	if q.mem >= 0 {
		q.mem -= p.mem
	}
	if q.pods >= 0 {
		q.pods--
	}
	return true
}

// drain takes n from a quota's room (negative: unlimited), down to zero.
func drain(room, n int64) int64 {
	if room < 0 {
		return room
	}
	return max(room-n, 0)
}

func matches(labels, selector map[string]string) bool {
	for k, v := range selector {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// tolerates reports whether tolerations let a pod onto a node with taints
// (NoSchedule and NoExecute ones; PreferNoSchedule never keeps it off).
func tolerates(tolerations []corev1.Toleration, taints []corev1.Taint) bool {
	for i := range taints {
		t := &taints[i]
		if t.Effect == corev1.TaintEffectPreferNoSchedule {
			continue
		}
		if !slices.ContainsFunc(tolerations, func(tol corev1.Toleration) bool { return tol.ToleratesTaint(t) }) {
			return false
		}
	}
	return true
}

// room describes the free capacity of the nodes: the total, and the
// largest node's when there are several.
func room(nodes []nodeRoom) string {
	var cpu, mem, bestCPU, bestMem int64
	count := 0
	for _, n := range nodes {
		if n.unavailable {
			continue
		}
		count++
		cpu, mem = cpu+max(n.cpu, 0), mem+max(n.mem, 0)
		if n.cpu > bestCPU {
			bestCPU, bestMem = n.cpu, n.mem
		}
	}
	if count == 0 {
		return "none (no node is Ready and schedulable)"
	}
	s := amounts(cpu, mem)
	if count > 1 {
		s += fmt.Sprintf(" on %d nodes (at most %s on one)", count, amounts(bestCPU, bestMem))
	}
	return s
}

func quotaLeft(q quotaRoom) string {
	var parts []string
	if q.cpu >= 0 {
		parts = append(parts, "requests.cpu "+cpuString(max(q.cpu, 0)))
	}
	if q.mem >= 0 {
		parts = append(parts, "requests.memory "+memString(max(q.mem, 0)))
	}
	if q.pods >= 0 {
		parts = append(parts, fmt.Sprintf("pods %d", max(q.pods, 0)))
	}
	return strings.Join(parts, ", ")
}
