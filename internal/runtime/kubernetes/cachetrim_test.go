package kubernetes

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/cache"
)

func TestDropManagedFieldsKeepsTheRest(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "d", Labels: map[string]string{LabelJobID: "r"},
		ManagedFields: []metav1.ManagedFieldsEntry{{Manager: "kubelet"}}}, Spec: corev1.PodSpec{NodeName: "n"}}
	got, err := dropManagedFields(pod)
	if p := got.(*corev1.Pod); err != nil || p.ManagedFields != nil || p.Labels[LabelJobID] != "r" || p.Spec.NodeName != "n" {
		t.Fatalf("got %+v, %v", got, err)
	}
	// A tombstone is no object: left as it is.
	tomb := cache.DeletedFinalStateUnknown{Key: "ns/d", Obj: pod}
	if got, err := dropManagedFields(tomb); err != nil || got != any(tomb) {
		t.Fatalf("tombstone: %v, %v", got, err)
	}
}
