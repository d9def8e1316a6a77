package config

import (
	"fmt"
	"slices"
	"sort"

	"k8s.io/apimachinery/pkg/api/resource"
)

// Admission modes of a Kubernetes cluster: what a run must fit before it
// is submitted (see the README's Admission section).
const (
	// AdmissionNodes: its job runner, driver and minimum executors fit the
	// nodes' free room and the namespace's ResourceQuotas (the default).
	AdmissionNodes = "nodes"
	// AdmissionQuota: they fit the namespace's ResourceQuotas; for clusters
	// whose nodes are added on demand (Karpenter, cluster-autoscaler), where
	// Pending pods are what brings new nodes.
	AdmissionQuota = "quota"
	// AdmissionOff: runs are submitted at once; Kubernetes queues their pods.
	AdmissionOff = "off"
)

// JobRunnerResources are the job runner container's requests and limits,
// by resource name (cpu, memory, ephemeral-storage) as Kubernetes
// quantities: a resource not named keeps EMR's default (800m CPU and 512Mi
// requested, 1 CPU and 1Gi at most).
type JobRunnerResources struct {
	Requests map[string]string `json:"requests"`
	Limits   map[string]string `json:"limits"`
}

func (k KubernetesCluster) validateAdmission(field string) error {
	if k.Admission != "" && !slices.Contains([]string{AdmissionNodes, AdmissionQuota, AdmissionOff}, k.Admission) {
		return fmt.Errorf("%s.admission %q: want %s, %s or %s", field, k.Admission, AdmissionNodes, AdmissionQuota, AdmissionOff)
	}
	for kind, list := range map[string]map[string]string{"requests": k.JobRunner.Requests, "limits": k.JobRunner.Limits} {
		names := make([]string, 0, len(list))
		for name := range list {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if !slices.Contains([]string{"cpu", "memory", "ephemeral-storage"}, name) {
				return fmt.Errorf("%s.jobRunner.%s.%s: want cpu, memory or ephemeral-storage", field, kind, name)
			}
			if q, err := resource.ParseQuantity(list[name]); err != nil || q.Sign() < 0 {
				return fmt.Errorf("%s.jobRunner.%s.%s %q: want a Kubernetes quantity such as 500m or 512Mi", field, kind, name, list[name])
			}
		}
	}
	req, lim := k.JobRunner.Requests, k.JobRunner.Limits
	for _, name := range []string{"cpu", "memory"} {
		r, rok := req[name]
		l, lok := lim[name]
		if !rok || !lok {
			continue
		}
		if rq, lq := resource.MustParse(r), resource.MustParse(l); rq.Cmp(lq) > 0 {
			return fmt.Errorf("%s.jobRunner: requests.%s %s exceeds limits.%s %s", field, name, r, name, l)
		}
	}
	return nil
}
