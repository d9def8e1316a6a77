package nodeagent

import (
	"context"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
)

// scheduler binds pending pods to the node, standing in for kube-scheduler
// (which does not run in this cluster). Pods are tried oldest first; one
// that does not fit is marked Unschedulable and tried again on the next
// pass, which runs whenever a pod changes and every few seconds.
type scheduler struct {
	p       *provider
	trigger chan struct{}
	// assumed holds the requests of pods bound but not yet seen bound by
	// the informer.
	assumed map[types.UID]*corev1.Pod
}

func newScheduler(p *provider) *scheduler {
	return &scheduler{p: p, trigger: make(chan struct{}, 1), assumed: map[types.UID]*corev1.Pod{}}
}

func (s *scheduler) poke() {
	select {
	case s.trigger <- struct{}{}:
	default:
	}
}

func (s *scheduler) run(ctx context.Context) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		s.pass(ctx)
		select {
		case <-ctx.Done():
			return
		case <-s.trigger:
		case <-tick.C:
		}
	}
}

// responsible says whether the default scheduler would handle pod: not
// while it has scheduling gates (the API server refuses to bind it then).
func responsible(pod *corev1.Pod) bool {
	return pod.Spec.NodeName == "" && pod.DeletionTimestamp == nil && !terminal(pod) && len(pod.Spec.SchedulingGates) == 0 &&
		(pod.Spec.SchedulerName == "" || pod.Spec.SchedulerName == corev1.DefaultSchedulerName)
}

func (s *scheduler) pass(ctx context.Context) {
	all, err := s.p.pods.List(labels.Everything())
	if err != nil {
		s.p.log.Warn("scheduler: list pods", "err", err)
		return
	}
	node := s.p.node
	used := corev1.ResourceList{}
	count := 0
	var pending []*corev1.Pod
	seen := map[types.UID]bool{}
	for _, pod := range all {
		seen[pod.UID] = true
		switch {
		case pod.Spec.NodeName == node.Name && !terminal(pod):
			delete(s.assumed, pod.UID)
			addResources(used, podRequests(pod))
			count++
		case pod.Spec.NodeName != "" || terminal(pod):
			delete(s.assumed, pod.UID)
		case responsible(pod) && s.assumed[pod.UID] == nil:
			pending = append(pending, pod)
		}
	}
	for uid, pod := range s.assumed {
		if !seen[uid] {
			delete(s.assumed, uid)
			continue
		}
		addResources(used, podRequests(pod))
		count++
	}
	sort.Slice(pending, func(i, j int) bool {
		a, b := pending[i], pending[j]
		if !a.CreationTimestamp.Equal(&b.CreationTimestamp) {
			return a.CreationTimestamp.Before(&b.CreationTimestamp)
		}
		return a.Namespace+"/"+a.Name < b.Namespace+"/"+b.Name
	})
	for _, pod := range pending {
		if ctx.Err() != nil {
			return
		}
		if err := fitError(pod, node, used, count); err != nil {
			s.unschedulable(ctx, pod, err.Error())
			continue
		}
		if err := s.bind(ctx, pod); err != nil {
			s.p.log.Warn("scheduler: bind", "pod", podKey(pod.Namespace, pod.Name), "err", err)
			continue
		}
		s.assumed[pod.UID] = pod
		addResources(used, podRequests(pod))
		count++
	}
}

func (s *scheduler) bind(ctx context.Context, pod *corev1.Pod) error {
	b := &corev1.Binding{
		ObjectMeta: metav1.ObjectMeta{Name: pod.Name, Namespace: pod.Namespace, UID: pod.UID},
		Target:     corev1.ObjectReference{Kind: "Node", Name: s.p.node.Name},
	}
	return s.p.client.CoreV1().Pods(pod.Namespace).Bind(ctx, b, metav1.CreateOptions{})
}

// unschedulable records PodScheduled=False with the scheduler's message,
// unless the pod already says so.
func (s *scheduler) unschedulable(ctx context.Context, pod *corev1.Pod, message string) {
	for _, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable && c.Message == message {
			return
		}
	}
	pod = pod.DeepCopy()
	cond := corev1.PodCondition{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonUnschedulable,
		Message: message, LastTransitionTime: metav1.Now()}
	replaced := false
	for i, c := range pod.Status.Conditions {
		if c.Type == corev1.PodScheduled {
			pod.Status.Conditions[i], replaced = cond, true
		}
	}
	if !replaced {
		pod.Status.Conditions = append(pod.Status.Conditions, cond)
	}
	_, err := s.p.client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, pod, metav1.UpdateOptions{})
	if err != nil && !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
		s.p.log.Warn("scheduler: mark unschedulable", "pod", podKey(pod.Namespace, pod.Name), "err", err)
		return
	}
	s.p.log.Info("pod unschedulable", "pod", podKey(pod.Namespace, pod.Name), "reason", message)
}
