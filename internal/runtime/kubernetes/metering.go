package kubernetes

import (
	"context"
	"log/slog"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// meter records the usage of the pods the runtime's informers see, off the
// informers' goroutines: every change of a scheduled pod is written again
// (an upsert), so its end is recorded when it terminates or is deleted,
// and a restarted server re-records what the API still shows.
type meter struct {
	rec    runtime.UsageSink
	client kubernetes.Interface
	log    *slog.Logger
	events chan podEvent
	stop   chan struct{}
	done   chan struct{}

	mu        sync.Mutex
	nodes     map[string]cost.Node // by name
	forbidden bool                 // nodes cannot be read: priced at fallback rates
}

type podEvent struct {
	pod     *corev1.Pod
	deleted bool
	at      time.Time
}

func newMeter(rec runtime.UsageSink, client kubernetes.Interface, log *slog.Logger) *meter {
	m := &meter{rec: rec, client: client, log: log, events: make(chan podEvent, 4096),
		stop: make(chan struct{}), done: make(chan struct{}), nodes: map[string]cost.Node{}}
	go m.run()
	return m
}

// observe queues a pod seen by an informer; it never blocks the informer.
func (m *meter) observe(obj any, deleted bool) {
	pod, ok := obj.(*corev1.Pod)
	if !ok || m == nil {
		return
	}
	select {
	case m.events <- podEvent{pod: pod, deleted: deleted, at: time.Now()}:
	default:
		m.log.Warn("metering queue full; a pod change was not recorded", "pod", pod.Name)
	}
}

func (m *meter) close() {
	if m == nil {
		return
	}
	close(m.stop)
	<-m.done
}

func (m *meter) run() {
	defer close(m.done)
	for {
		select {
		case <-m.stop:
			return
		case ev := <-m.events:
			m.record(ev)
		}
	}
}

func (m *meter) record(ev podEvent) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u, ok := usageOf(ev.pod, ev.deleted, ev.at)
	if !ok {
		return
	}
	if n, ok := m.node(ctx, u.Node); ok {
		u.InstanceType, u.CapacityType, u.Zone = n.InstanceType, n.CapacityType, n.Zone
		n.Start, n.End = u.Start, u.End
		if err := m.rec.RecordNode(ctx, n); err != nil {
			m.log.Warn("could not record a node", "node", n.Name, "err", err)
		}
	}
	if err := m.rec.RecordUsage(ctx, u); err != nil {
		m.log.Warn("could not record a pod's usage", "pod", u.Pod, "err", err)
	}
}

// node returns what the node's labels and allocatable say, read once.
// Reading nodes needs a ClusterRole (deploy/rbac/cluster-role-nodes.yaml);
// without one, usage is recorded without instance type and priced at the
// fallback rates, flagged in reports.
func (m *meter) node(ctx context.Context, name string) (cost.Node, bool) {
	if name == "" {
		return cost.Node{}, false
	}
	m.mu.Lock()
	n, ok := m.nodes[name]
	forbidden := m.forbidden
	m.mu.Unlock()
	if ok || forbidden {
		return n, ok
	}
	node, err := m.client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		if apierrors.IsForbidden(err) {
			m.mu.Lock()
			m.forbidden = true
			m.mu.Unlock()
			m.log.Warn("sparkplane may not read nodes: pods are priced at the fallback rates", "err", err)
		}
		return cost.Node{}, false
	}
	info := cost.NodeInfoFromLabels(node.Labels)
	n = cost.Node{Name: name, InstanceType: info.InstanceType, CapacityType: info.CapacityType, Zone: info.Zone,
		CPU: node.Status.Allocatable.Cpu().AsApproximateFloat64(), Memory: node.Status.Allocatable.Memory().Value()}
	m.mu.Lock()
	m.nodes[name] = n
	m.mu.Unlock()
	return n, true
}

// usageOf meters one pod of a run: its effective requests and limits, from
// when it was scheduled to when its containers ended (or it was deleted).
// A pod not scheduled yet, or not a run's, has no usage.
func usageOf(pod *corev1.Pod, deleted bool, at time.Time) (cost.Usage, bool) {
	id, vc := pod.Labels[LabelJobID], pod.Labels[LabelVirtualCluster]
	start := scheduledAt(pod)
	if id == "" || vc == "" || pod.Spec.NodeName == "" || start.IsZero() {
		return cost.Usage{}, false
	}
	attempt, err := strconv.Atoi(pod.Labels[LabelAttempt])
	if err != nil || attempt < 1 {
		attempt = 1
	}
	u := cost.Usage{JobRunID: id, VirtualClusterID: vc, Attempt: attempt, Pod: pod.Name,
		Component: cost.Component(pod.Labels[LabelComponent]), Namespace: pod.Namespace, Node: pod.Spec.NodeName,
		Request: effective(pod, requests), Limit: effective(pod, limits), Start: start}
	if u.Component == "" && pod.Labels["spark-role"] != "" {
		u.Component = cost.Component(pod.Labels["spark-role"])
	}
	switch {
	case pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed:
		u.End = endedAt(pod)
	case deleted:
		u.End = at
	}
	if !u.End.IsZero() && u.End.Before(u.Start) {
		u.End = u.Start
	}
	return u, true
}

func scheduledAt(pod *corev1.Pod) time.Time {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionTrue && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	if pod.Status.StartTime != nil {
		return pod.Status.StartTime.Time
	}
	return time.Time{}
}

// endedAt is when the last container of a finished pod terminated.
func endedAt(pod *corev1.Pod) time.Time {
	var end time.Time
	for _, cs := range pod.Status.ContainerStatuses {
		if t := cs.State.Terminated; t != nil && t.FinishedAt.After(end) {
			end = t.FinishedAt.Time
		}
	}
	if end.IsZero() {
		end = time.Now()
	}
	return end
}

func requests(c corev1.Container) corev1.ResourceList { return c.Resources.Requests }
func limits(c corev1.Container) corev1.ResourceList   { return c.Resources.Limits }

// effective is what the scheduler reserves for a pod: the larger of the
// sum over its containers and the largest init container, per resource.
func effective(pod *corev1.Pod, of func(corev1.Container) corev1.ResourceList) cost.Resources {
	var cpu, mem resource.Quantity
	for _, c := range pod.Spec.Containers {
		rl := of(c)
		cpu.Add(*rl.Cpu())
		mem.Add(*rl.Memory())
	}
	for _, c := range pod.Spec.InitContainers {
		rl := of(c)
		if q := rl.Cpu(); q.Cmp(cpu) > 0 {
			cpu = *q
		}
		if q := rl.Memory(); q.Cmp(mem) > 0 {
			mem = *q
		}
	}
	return cost.Resources{CPU: cpu.AsApproximateFloat64(), Memory: mem.Value()}
}
