package kubernetes

import (
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func TestDropUnreadKeepsTheRest(t *testing.T) {
	req := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	full := func() *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "d", Labels: map[string]string{LabelJobID: "r"},
			OwnerReferences: []metav1.OwnerReference{{Kind: "Job", UID: "j"}}, ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}},
			Spec: corev1.PodSpec{NodeName: "n", NodeSelector: map[string]string{"k": "v"}, Tolerations: []corev1.Toleration{{Key: "t"}},
				ServiceAccountName: "sa", RestartPolicy: corev1.RestartPolicyNever, Volumes: []corev1.Volume{{Name: "v"}},
				Containers: []corev1.Container{{Name: "spark-kubernetes-driver", Image: "spark:3.5", Env: []corev1.EnvVar{{Name: "E", Value: "x"}},
					Args: []string{"driver"}, VolumeMounts: []corev1.VolumeMount{{Name: "v"}},
					Resources: corev1.ResourceRequirements{Requests: req, Limits: req}}},
				InitContainers: []corev1.Container{{Name: "init", Command: []string{"sh"}, Resources: corev1.ResourceRequirements{Requests: req}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{{Name: "spark-kubernetes-driver"}}}}
	}
	pod := full()
	got, err := dropUnread(pod)
	p := got.(*corev1.Pod)
	if err != nil || p.ManagedFields != nil || p.Labels[LabelJobID] != "r" || p.Spec.NodeName != "n" || p.OwnerReferences[0].UID != "j" ||
		p.Spec.NodeSelector["k"] != "v" || len(p.Spec.Tolerations) != 1 || p.Spec.ServiceAccountName != "sa" || p.Spec.RestartPolicy != corev1.RestartPolicyNever ||
		p.Spec.Containers[0].Name != "spark-kubernetes-driver" || p.Spec.Containers[0].Image != "spark:3.5" || len(p.Status.ContainerStatuses) != 1 {
		t.Fatalf("got %+v, %v", got, err)
	}
	if p.Spec.Volumes != nil || p.Spec.Containers[0].Env != nil || p.Spec.Containers[0].Args != nil || p.Spec.Containers[0].VolumeMounts != nil || p.Spec.InitContainers[0].Command != nil {
		t.Errorf("kept what no reader reads: %+v", p.Spec)
	}
	// What metering and admission compute from a pod is the same trimmed.
	if a, b := effective(p, requests), effective(full(), requests); a != b {
		t.Errorf("requests %+v trimmed, %+v in full", a, b)
	}
	if a, b := effective(p, limits), effective(full(), limits); a != b {
		t.Errorf("limits %+v trimmed, %+v in full", a, b)
	}
	if mainContainer(p) != mainContainer(full()) {
		t.Errorf("main container %q trimmed, %q in full", mainContainer(p), mainContainer(full()))
	}
	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "j", UID: "u", ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "m"}}},
		Spec:   batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "job-runner"}}}}},
		Status: batchv1.JobStatus{Conditions: []batchv1.JobCondition{{Type: batchv1.JobComplete}}}}
	got, _ = dropUnread(job)
	if j := got.(*batchv1.Job); j.Name != "j" || j.UID != "u" || j.ManagedFields != nil || j.Spec.Template.Spec.Containers != nil || len(j.Status.Conditions) != 1 {
		t.Fatalf("job %+v", j)
	}
	// A tombstone is no object: left as it is.
	tomb := cache.DeletedFinalStateUnknown{Key: "ns/d", Obj: pod}
	if got, err := dropUnread(tomb); err != nil || got != any(tomb) {
		t.Fatalf("tombstone: %v, %v", got, err)
	}
}

func TestPlacementOfKeepsWhatPlacingReads(t *testing.T) {
	req := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("250m"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "d", Namespace: "ns", ResourceVersion: "7", Annotations: map[string]string{"a": "b"},
			Labels: map[string]string{LabelJobID: "r", LabelAttempt: "1", LabelComponent: ComponentDriver, "team": "x"}},
		Spec: corev1.PodSpec{NodeName: "n", NodeSelector: map[string]string{"k": "v"}, Tolerations: []corev1.Toleration{{Key: "t"}},
			Overhead:       corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")},
			Containers:     []corev1.Container{{Name: "c", Image: "i", Env: []corev1.EnvVar{{Name: "E"}}, Resources: corev1.ResourceRequirements{Requests: req}}},
			InitContainers: []corev1.Container{{Name: "i", Resources: corev1.ResourceRequirements{Requests: req}}},
			Volumes:        []corev1.Volume{{Name: "v"}}},
		Status: corev1.PodStatus{Phase: corev1.PodRunning, Conditions: []corev1.PodCondition{{Type: corev1.PodReady}}},
	}
	got, err := placementOf(pod)
	if err != nil {
		t.Fatal(err)
	}
	slim := got.(*corev1.Pod)
	wantCPU, wantMem := podRequests(pod, "", nil)
	if cpu, mem := podRequests(slim, "", nil); cpu != wantCPU || mem != wantMem {
		t.Errorf("requests %d/%d; want %d/%d", cpu, mem, wantCPU, wantMem)
	}
	if slim.Spec.NodeName != "n" || slim.Status.Phase != corev1.PodRunning || slim.Spec.NodeSelector["k"] != "v" || len(slim.Spec.Tolerations) != 1 ||
		slim.Labels[LabelJobID] != "r" || slim.Labels[LabelAttempt] != "1" || slim.Labels[LabelComponent] != ComponentDriver || slim.ResourceVersion != "7" {
		t.Errorf("placement lost: %+v", slim)
	}
	if slim.Labels["team"] != "" || slim.Annotations != nil || slim.Spec.Volumes != nil || slim.Spec.Containers[0].Env != nil || slim.Spec.Containers[0].Image != "" || slim.Status.Conditions != nil {
		t.Errorf("kept more than placing reads: %+v", slim)
	}
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "n", Labels: map[string]string{"l": "1"}},
		Spec:   corev1.NodeSpec{Taints: []corev1.Taint{{Key: "t"}}, Unschedulable: true},
		Status: corev1.NodeStatus{Allocatable: req, Conditions: []corev1.NodeCondition{{Type: corev1.NodeReady}}, Images: []corev1.ContainerImage{{Names: []string{"spark"}}}}}
	got, _ = placementOf(node)
	if n := got.(*corev1.Node); n.Labels["l"] != "1" || len(n.Spec.Taints) != 1 || !n.Spec.Unschedulable || n.Status.Allocatable.Cpu().MilliValue() != 250 || len(n.Status.Conditions) != 1 || n.Status.Images != nil {
		t.Errorf("node %+v", n)
	}
	tomb := cache.DeletedFinalStateUnknown{Key: "ns/d", Obj: pod}
	if got, _ := placementOf(tomb); got != any(tomb) {
		t.Errorf("tombstone changed: %v", got)
	}
}
