package kubernetes

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultJobRunnerResources are the job runner container's requests and
// limits on EMR on EKS: 800m CPU and 512Mi requested, 1 CPU and 1Gi at most.
func DefaultJobRunnerResources() corev1.ResourceRequirements {
	return corev1.ResourceRequirements{
		Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("800m"), corev1.ResourceMemory: resource.MustParse("512Mi")},
		Limits:   corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")},
	}
}

// jobRunnerResources are the configured requests and limits over EMR's:
// each resource named in the configuration replaces EMR's.
func jobRunnerResources(configured corev1.ResourceRequirements) corev1.ResourceRequirements {
	out := DefaultJobRunnerResources()
	for name, q := range configured.Requests {
		out.Requests[name] = q
	}
	for name, q := range configured.Limits {
		out.Limits[name] = q
	}
	for name, q := range out.Requests { // a request above EMR's limit raises it
		if l, ok := out.Limits[name]; ok && q.Cmp(l) > 0 {
			if _, set := configured.Limits[name]; !set {
				out.Limits[name] = q
			}
		}
	}
	return out
}
