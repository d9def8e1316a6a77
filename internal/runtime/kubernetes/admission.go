package kubernetes

import (
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Admission (runtime.Admitter): a run is submitted only when its job
// runner (job-runner mode), driver and minimum executors fit, so that the
// cluster never holds more drivers than it can feed executors to. What is
// checked:
//
//   - the nodes: each pod is placed, first fit, on the room each Ready,
//     schedulable node has left (allocatable minus the requests of the
//     pods bound to it, of every namespace), after the namespace's pods
//     waiting for a node and the pods of runs admitted before that are not
//     bound yet (their reservations: without them every run admitted in
//     one burst would see the same free room). A node not Ready, cordoned
//     or tainted by one of its conditions takes nothing meanwhile, but
//     still counts for whether a run can ever fit. Needs nodes and pods to be
//     listed and watched cluster-wide (deploy/rbac/cluster-role-nodes.yaml);
//     without that, only quotas are checked.
//   - the namespace's ResourceQuotas: requests.cpu, requests.memory and pods
//     left, minus the pods of admitted runs not created yet.
//
// A reservation ends once its pods are all bound, when the run's driver
// or job runner ends, when the run is stopped or observed ended, when it
// still has no pod after reservationUnused, and at the latest after
// reservationTTL.
// Reservations live in this server's memory: servers sharing a store do
// not see each other's, and a restarted server forgets those of runs whose
// pods were not bound yet.

// AdmissionMode is what a run must fit before it is submitted.
type AdmissionMode string

// Admission modes.
const (
	AdmitNodes AdmissionMode = ""      // the nodes' free room and the namespace's quotas
	AdmitQuota AdmissionMode = "quota" // the namespace's quotas only (nodes added on demand)
	AdmitOff   AdmissionMode = "off"   // nothing: every run is admitted
)

// reservationTTL bounds how long an admitted run holds room it has not used.
const reservationTTL = emr.DefaultJobStartTimeout

// reservationUnused is how long an admitted run may have no pod at all
// before its reservation ends: its submission failed (a run refused for
// good is never stopped).
const reservationUnused = 2 * time.Minute

// admissions is the admission state of a Runtime.
type admissions struct {
	mu           sync.Mutex
	reservations map[string]*reservation // by run key
	waiting      map[string]bool         // keys of runs refused, to wake when room frees

	clusterMu sync.Mutex
	cluster   *clusterWatch // nodes and pods of the whole cluster; nil until read
	noCluster bool          // they may not be read: quotas only
	noQuota   sync.Map      // namespace → true when its quotas may not be read
	noStaging atomic.Bool   // the cluster drops scheduling gates (staging.go)
}

// reservation is the room a run was admitted with, until its pods use it.
type reservation struct {
	ns, jobID, attempt string
	pods               []podDemand
	at                 time.Time
	// created and bound count, per component, the most pods of the run
	// ever seen created and bound to a node.
	created, bound map[string]int
}

// clusterWatch caches the nodes and the non-terminal pods of the cluster.
type clusterWatch struct {
	nodes corelisters.NodeLister
	pods  corelisters.PodLister
	stop  chan struct{}
}

// Admit implements runtime.Admitter (see the comment above).
func (r *Runtime) Admit(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (runtime.Admission, error) {
	if r.opts.Admission == AdmitOff {
		return runtime.Admission{OK: true}, nil
	}
	p, err := newPlanWith(vc, run, &r.opts, r.templateSource(ctx, run))
	if err != nil {
		return runtime.Admission{OK: true}, nil // Submit refuses it, saying why
	}
	var runner *corev1.ResourceRequirements
	if r.mode(run) == emr.SubmitJobRunner { // native runs have no job runner pod
		runner = &p.runner
	}
	d := p.demand(runner)
	if _, err := r.watch(ctx, p.ns); err != nil {
		return runtime.Admission{}, err
	}
	var cw *clusterWatch
	if r.opts.Admission == AdmitNodes {
		if cw, err = r.clusterCapacity(ctx); err != nil {
			return runtime.Admission{}, err
		}
	}
	quotas, hard, err := r.quotas(ctx, p.ns)
	if err != nil {
		return runtime.Admission{}, err
	}
	key := runtime.Key(vc.ID, run.ID)
	a := &r.adm
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.reservations == nil {
		a.reservations, a.waiting = map[string]*reservation{}, map[string]bool{}
	}
	r.refreshReservations(key)
	c := capacity{quotas: quotas, quotaHard: hard}
	for k, res := range a.reservations {
		if k == key {
			continue
		}
		c.runs++
		unbound, uncreated := res.unplaced()
		c.reservedUnbound = append(c.reservedUnbound, unbound...)
		if res.ns == p.ns {
			c.reservedUncreated = append(c.reservedUncreated, uncreated...)
		}
	}
	if cw != nil {
		if c.nodes, c.empty, c.waiting, err = cw.room(p.ns, a.reservations); err != nil {
			return runtime.Admission{}, err
		}
	}
	ok, n, why := admitRun(d, c)
	if !ok {
		a.waiting[key] = true
		return runtime.Admission{Waiting: why}, nil
	}
	delete(a.waiting, key)
	a.reservations[key] = &reservation{ns: p.ns, jobID: run.ID, attempt: fmt.Sprint(run.Attempt()), pods: d.pods(n),
		at: time.Now(), created: map[string]int{}, bound: map[string]int{}}
	return runtime.Admission{OK: true}, nil
}

var _ runtime.Admitter = (*Runtime)(nil)

// unplaced are the reserved pods not bound to a node yet, and those not
// created yet.
func (res *reservation) unplaced() (unbound, uncreated []podDemand) {
	seenBound, seenCreated := map[string]int{}, map[string]int{}
	for _, p := range res.pods {
		if seenBound[p.component] < res.bound[p.component] {
			seenBound[p.component]++
		} else {
			unbound = append(unbound, p)
		}
		if seenCreated[p.component] < res.created[p.component] {
			seenCreated[p.component]++
		} else {
			uncreated = append(uncreated, p)
		}
	}
	return unbound, uncreated
}

// refreshReservations counts the pods of each reserved run from the
// namespaces' caches, and ends the reservations that are used up, whose
// run ended, or that are too old; except keep's. Holds a.mu.
func (r *Runtime) refreshReservations(keep string) {
	a := &r.adm
	for key, res := range a.reservations {
		if key == keep {
			continue
		}
		r.mu.Lock()
		w := r.watches[res.ns]
		r.mu.Unlock()
		if w == nil || time.Since(res.at) > reservationTTL {
			delete(a.reservations, key)
			continue
		}
		pods, err := w.pods.List(labels.SelectorFromSet(labels.Set{LabelJobID: res.jobID, LabelAttempt: res.attempt}))
		if err != nil {
			continue
		}
		created, bound := map[string]int{}, map[string]int{}
		ended := false
		for _, pod := range pods {
			comp := pod.Labels[LabelComponent]
			created[comp]++
			if pod.Spec.NodeName != "" {
				bound[comp]++
			}
			if (comp == ComponentDriver || comp == ComponentSubmitter) && podGone(pod) {
				ended = true
			}
		}
		for comp, n := range created {
			res.created[comp] = max(res.created[comp], n)
		}
		for comp, n := range bound {
			res.bound[comp] = max(res.bound[comp], n)
		}
		unbound, _ := res.unplaced()
		never := len(pods) == 0 && time.Since(res.at) > reservationUnused // its submission failed
		if ended || never || len(unbound) == 0 {
			delete(a.reservations, key)
		}
	}
}

func podGone(pod *corev1.Pod) bool {
	return pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed || pod.DeletionTimestamp != nil
}

// releaseReservation ends the reservation of a run (stopped, or ended).
func (r *Runtime) releaseReservation(key string) {
	r.adm.mu.Lock()
	defer r.adm.mu.Unlock()
	delete(r.adm.reservations, key)
	delete(r.adm.waiting, key)
}

// capacityFreed wakes the runs waiting for room: a pod ended or went, or
// a node changed.
func (r *Runtime) capacityFreed() {
	r.adm.mu.Lock()
	defer r.adm.mu.Unlock()
	for key := range r.adm.waiting {
		select {
		case r.events <- key:
		default: // the controller looks again soon anyway
		}
	}
}

// podChangedForAdmission wakes the waiting runs when a pod ends or goes.
func (r *Runtime) podChangedForAdmission(obj any, deleted bool) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	if pod, ok := obj.(*corev1.Pod); ok && (deleted || podGone(pod)) {
		r.capacityFreed()
	}
}

// clusterCapacity returns the cache of the cluster's nodes and pods,
// started on first use; nil when sparkplane may not list them.
func (r *Runtime) clusterCapacity(ctx context.Context) (*clusterWatch, error) {
	a := &r.adm
	a.clusterMu.Lock()
	defer a.clusterMu.Unlock()
	if a.cluster != nil || a.noCluster {
		return a.cluster, nil
	}
	c := r.opts.Client
	_, err := c.CoreV1().Nodes().List(ctx, metav1.ListOptions{Limit: 1})
	if err == nil {
		_, err = c.CoreV1().Pods("").List(ctx, metav1.ListOptions{Limit: 1})
	}
	if apierrors.IsForbidden(err) {
		a.noCluster = true
		r.opts.Logger.Warn("sparkplane may not list nodes and pods cluster-wide (deploy/rbac/cluster-role-nodes.yaml): runs are admitted by their namespace's quota only", "err", err)
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the cluster's nodes and pods: %w", err)
	}
	cw := &clusterWatch{stop: make(chan struct{})}
	nodeFactory := informers.NewSharedInformerFactoryWithOptions(c, 10*time.Minute, placementOnly())
	podFactory := informers.NewSharedInformerFactoryWithOptions(c, 10*time.Minute, placementOnly(), informers.WithTweakListOptions(func(o *metav1.ListOptions) {
		o.FieldSelector = "status.phase!=Succeeded,status.phase!=Failed"
	}))
	nodes, pods := nodeFactory.Core().V1().Nodes(), podFactory.Core().V1().Pods()
	freed := func(any) { r.capacityFreed() }
	if _, err := nodes.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: freed, UpdateFunc: func(_, n any) { freed(n) }}); err != nil {
		return nil, err
	}
	if _, err := pods.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{DeleteFunc: freed}); err != nil {
		return nil, err
	}
	cw.nodes, cw.pods = nodes.Lister(), pods.Lister()
	nodeFactory.Start(cw.stop)
	podFactory.Start(cw.stop)
	for _, synced := range []map[reflect.Type]bool{nodeFactory.WaitForCacheSync(ctx.Done()), podFactory.WaitForCacheSync(ctx.Done())} {
		for typ, ok := range synced {
			if !ok {
				close(cw.stop)
				return nil, fmt.Errorf("watch %v cluster-wide: cache did not sync", typ)
			}
		}
	}
	a.cluster = cw
	return cw, nil
}

// room is the free room of each node, the same nodes empty, and the
// namespace's pods waiting for a node that no reservation covers.
func (cw *clusterWatch) room(ns string, reserved map[string]*reservation) (nodes, empty []nodeRoom, waiting []podDemand, err error) {
	all, err := cw.nodes.List(labels.Everything())
	if err != nil {
		return nil, nil, nil, err
	}
	pods, err := cw.pods.List(labels.Everything())
	if err != nil {
		return nil, nil, nil, err
	}
	covered := map[string]bool{}
	for _, res := range reserved {
		covered[res.jobID+"/"+res.attempt] = true
	}
	used := map[string]*nodeRoom{}
	for _, pod := range pods {
		if pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
			continue // its room is free
		}
		if len(pod.Spec.SchedulingGates) > 0 && pod.Spec.NodeName == "" {
			continue // held back (a staged driver, or another's): not waiting for a node yet
		}
		cpu, mem := podRequests(pod, "", nil)
		if pod.Spec.NodeName != "" {
			u := used[pod.Spec.NodeName]
			if u == nil {
				u = &nodeRoom{}
				used[pod.Spec.NodeName] = u
			}
			u.cpu, u.mem, u.pods = u.cpu+cpu, u.mem+mem, u.pods+1
			continue
		}
		if pod.Namespace == ns && !covered[pod.Labels[LabelJobID]+"/"+pod.Labels[LabelAttempt]] {
			waiting = append(waiting, podDemand{role: "pod " + pod.Name, cpu: cpu, mem: mem,
				nodeSelector: pod.Spec.NodeSelector, tolerations: pod.Spec.Tolerations})
		}
	}
	slices.SortFunc(all, func(a, b *corev1.Node) int { return strings.Compare(a.Name, b.Name) })
	for _, n := range all {
		alloc := n.Status.Allocatable
		// Empty, the node is as it will be again: a node not Ready or
		// cordoned for a while, and the taints saying so, do not make a run
		// never fit (admitting it would admit the whole queue at once).
		e := nodeRoom{name: n.Name, cpu: alloc.Cpu().MilliValue(), mem: alloc.Memory().Value(), pods: podsOf(alloc),
			labels: n.Labels, taints: lastingTaints(n.Spec.Taints)}
		free := e
		free.taints, free.unavailable = n.Spec.Taints, n.Spec.Unschedulable || !nodeReady(n) || len(e.taints) < len(n.Spec.Taints)
		if u := used[n.Name]; u != nil {
			free.cpu, free.mem, free.pods = e.cpu-u.cpu, e.mem-u.mem, e.pods-u.pods
		}
		empty, nodes = append(empty, e), append(nodes, free)
	}
	return nodes, empty, waiting, nil
}

// podsOf is how many pods a node takes (110 when it does not say).
func podsOf(alloc corev1.ResourceList) int64 {
	if q, ok := alloc[corev1.ResourcePods]; ok {
		return q.Value()
	}
	return 110
}

// nodeConditionTaint prefixes the taints Kubernetes puts on a node while
// a condition lasts (not-ready, unreachable, unschedulable, pressure, ...)
// and takes off after.
const nodeConditionTaint = "node.kubernetes.io/"

// lastingTaints are taints less those of a node's passing conditions that
// keep pods off (a node with one takes nothing while it lasts).
func lastingTaints(taints []corev1.Taint) []corev1.Taint {
	var out []corev1.Taint
	for _, t := range taints {
		if !strings.HasPrefix(t.Key, nodeConditionTaint) || t.Effect == corev1.TaintEffectPreferNoSchedule {
			out = append(out, t)
		}
	}
	return out
}

func nodeReady(n *corev1.Node) bool {
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// quotas reads the ResourceQuotas of the namespace: what each still
// allows, and allows in all. None when there are none or they may not be
// read (logged once per namespace).
func (r *Runtime) quotas(ctx context.Context, ns string) (left, hard []quotaRoom, err error) {
	if _, no := r.adm.noQuota.Load(ns); no {
		return nil, nil, nil
	}
	list, err := r.opts.Client.CoreV1().ResourceQuotas(ns).List(ctx, metav1.ListOptions{})
	if apierrors.IsForbidden(err) {
		r.adm.noQuota.Store(ns, true)
		r.opts.Logger.Warn("sparkplane may not list the namespace's ResourceQuotas (deploy/rbac/namespace-role.yaml): runs are admitted without them", "namespace", ns, "err", err)
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, fmt.Errorf("list ResourceQuotas in %s: %w", ns, err)
	}
	for _, q := range list.Items {
		h := quotaOf(q.Name, q.Status.Hard, q.Spec.Hard)
		if h.cpu < 0 && h.mem < 0 && h.pods < 0 {
			continue
		}
		u := quotaOf(q.Name, q.Status.Used, nil)
		l := h
		if h.cpu >= 0 {
			l.cpu = h.cpu - max(u.cpu, 0)
		}
		if h.mem >= 0 {
			l.mem = h.mem - max(u.mem, 0)
		}
		if h.pods >= 0 {
			l.pods = h.pods - max(u.pods, 0)
		}
		left, hard = append(left, l), append(hard, h)
	}
	return left, hard, nil
}

// quotaOf reads the CPU, memory and pod counts of a quota's list (its
// status, else its spec); -1 for what it does not limit.
func quotaOf(name string, list, fallback corev1.ResourceList) quotaRoom {
	if len(list) == 0 {
		list = fallback
	}
	get := func(names ...corev1.ResourceName) (resource.Quantity, bool) {
		for _, n := range names {
			if q, ok := list[n]; ok {
				return q, true
			}
		}
		return resource.Quantity{}, false
	}
	q := quotaRoom{name: name, cpu: -1, mem: -1, pods: -1}
	if v, ok := get(corev1.ResourceRequestsCPU, corev1.ResourceCPU); ok {
		q.cpu = v.MilliValue()
	}
	if v, ok := get(corev1.ResourceRequestsMemory, corev1.ResourceMemory); ok {
		q.mem = v.Value()
	}
	if v, ok := get(corev1.ResourcePods, "count/pods"); ok {
		q.pods = v.Value()
	}
	return q
}

// close stops the cluster-wide watch.
func (a *admissions) close() {
	a.clusterMu.Lock()
	defer a.clusterMu.Unlock()
	if a.cluster != nil {
		close(a.cluster.stop)
		a.cluster = nil
	}
	a.noCluster = true // closed: never started again
}
