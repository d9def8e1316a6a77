package nodeagent

import (
	"context"
	"fmt"
	"os"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// claimVolume is where a persistentVolumeClaim volume is: the folder of
// the hostPath or local PersistentVolume its claim is bound to (created
// when missing). The node has no provisioner: a claim waits, and the pod
// with it, until a volume is bound to it (make one with a hostPath).
func (r *podRun) claimVolume(ctx context.Context, namespace string, src *corev1.PersistentVolumeClaimVolumeSource) (hostVolume, error) {
	pvc, err := r.p.client.CoreV1().PersistentVolumeClaims(namespace).Get(ctx, src.ClaimName, metav1.GetOptions{})
	if err != nil {
		return hostVolume{}, fmt.Errorf("persistentVolumeClaim %q: %w", src.ClaimName, err)
	}
	if pvc.Status.Phase != corev1.ClaimBound || pvc.Spec.VolumeName == "" {
		return hostVolume{}, fmt.Errorf("persistentVolumeClaim %q is %s: no PersistentVolume is bound to it (this node has no provisioner; create a hostPath one)", src.ClaimName, pvc.Status.Phase)
	}
	pv, err := r.p.client.CoreV1().PersistentVolumes().Get(ctx, pvc.Spec.VolumeName, metav1.GetOptions{})
	if err != nil {
		return hostVolume{}, fmt.Errorf("persistentVolume %q of claim %q: %w", pvc.Spec.VolumeName, src.ClaimName, err)
	}
	var path string
	switch {
	case pv.Spec.HostPath != nil:
		path = pv.Spec.HostPath.Path
	case pv.Spec.Local != nil:
		path = pv.Spec.Local.Path
	default:
		return hostVolume{}, fmt.Errorf("persistentVolume %q of claim %q: only hostPath and local volumes can be mounted here", pv.Name, src.ClaimName)
	}
	if err := os.MkdirAll(path, 0o755); err != nil {
		return hostVolume{}, fmt.Errorf("persistentVolume %q: %w", pv.Name, err)
	}
	return hostVolume{path: path, readOnly: src.ReadOnly}, nil
}
