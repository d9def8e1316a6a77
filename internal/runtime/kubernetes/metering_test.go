package kubernetes

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/cost"
)

func TestUsageOf(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	res := func(cpu, mem string) corev1.ResourceRequirements {
		return corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)},
			Limits: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse(mem)}}
	}
	pod := func(mod func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: "exec-1", Namespace: "ns", Labels: map[string]string{
				LabelJobID: "run1", LabelVirtualCluster: "vc1", LabelComponent: ComponentExecutor, LabelAttempt: "2"}},
			Spec: corev1.PodSpec{NodeName: "n1", Containers: []corev1.Container{
				{Name: "spark-kubernetes-executor", Resources: res("1", "2Gi")},
				{Name: "sidecar", Resources: res("100m", "128Mi")}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{
				{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(t0)}}},
		}
		if mod != nil {
			mod(p)
		}
		return p
	}
	deletedAt := t0.Add(90 * time.Second)
	for _, tc := range []struct {
		name    string
		pod     *corev1.Pod
		deleted bool
		ok      bool
		want    cost.Usage
	}{
		{"running", pod(nil), false, true, cost.Usage{Attempt: 2, Request: cost.Resources{CPU: 1.1, Memory: (2048 + 128) << 20}, Limit: cost.Resources{Memory: (2048 + 128) << 20}, Start: t0}},
		{"finished", pod(func(p *corev1.Pod) {
			p.Status.Phase = corev1.PodSucceeded
			p.Status.ContainerStatuses = []corev1.ContainerStatus{{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(t0.Add(time.Minute))}}}}
		}), false, true, cost.Usage{Attempt: 2, Request: cost.Resources{CPU: 1.1, Memory: (2048 + 128) << 20}, Limit: cost.Resources{Memory: (2048 + 128) << 20}, Start: t0, End: t0.Add(time.Minute)}},
		{"deleted while running", pod(nil), true, true, cost.Usage{Attempt: 2, Request: cost.Resources{CPU: 1.1, Memory: (2048 + 128) << 20}, Limit: cost.Resources{Memory: (2048 + 128) << 20}, Start: t0, End: deletedAt}},
		{"a big init container sets the reservation", pod(func(p *corev1.Pod) {
			p.Spec.InitContainers = []corev1.Container{{Name: "init", Resources: res("4", "1Gi")}}
		}), false, true, cost.Usage{Attempt: 2, Request: cost.Resources{CPU: 4, Memory: (2048 + 128) << 20}, Limit: cost.Resources{Memory: (2048 + 128) << 20}, Start: t0}},
		{"not scheduled", pod(func(p *corev1.Pod) { p.Spec.NodeName = ""; p.Status.Conditions = nil }), false, false, cost.Usage{}},
		{"not a run's pod", pod(func(p *corev1.Pod) { p.Labels = nil }), false, false, cost.Usage{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, ok := usageOf(tc.pod, tc.deleted, deletedAt)
			if ok != tc.ok {
				t.Fatalf("ok = %v, want %v", ok, tc.ok)
			}
			if !ok {
				return
			}
			if got.JobRunID != "run1" || got.VirtualClusterID != "vc1" || got.Component != cost.ComponentExecutor || got.Node != "n1" || got.Pod != "exec-1" {
				t.Errorf("identity %+v", got)
			}
			if got.Attempt != tc.want.Attempt || got.Request != tc.want.Request || got.Limit.Memory != tc.want.Limit.Memory ||
				!got.Start.Equal(tc.want.Start) || !got.End.Equal(tc.want.End) {
				t.Errorf("got %+v\nwant %+v", got, tc.want)
			}
		})
	}
}
