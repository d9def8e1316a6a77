package app

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"

	"github.com/sparkplane/sparkplane/internal/config"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// jobRunnerResources turns a cluster's jobRunner section (validated by
// config) into the job runner container's requests and limits over EMR's.
func jobRunnerResources(j config.JobRunnerResources) corev1.ResourceRequirements {
	list := func(m map[string]string) corev1.ResourceList {
		out := corev1.ResourceList{}
		for name, v := range m {
			if q, err := resource.ParseQuantity(v); err == nil {
				out[corev1.ResourceName(name)] = q
			}
		}
		return out
	}
	return corev1.ResourceRequirements{Requests: list(j.Requests), Limits: list(j.Limits)}
}

// admissionMode is a cluster's admission setting as the runtime takes it.
func admissionMode(mode string) k8sruntime.AdmissionMode {
	switch mode {
	case config.AdmissionQuota:
		return k8sruntime.AdmitQuota
	case config.AdmissionOff:
		return k8sruntime.AdmitOff
	}
	return k8sruntime.AdmitNodes
}
