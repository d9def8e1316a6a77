package config

import (
	"strings"
	"testing"
)

func TestValidateAdmissionAndJobRunner(t *testing.T) {
	for _, tc := range []struct {
		name string
		k    KubernetesCluster
		want string // "" for valid
	}{
		{"defaults", KubernetesCluster{}, ""},
		{"modes", KubernetesCluster{Admission: AdmissionQuota}, ""},
		{"unknown mode", KubernetesCluster{Admission: "always"}, `clusters[0].admission "always": want nodes, quota or off`},
		{"smaller job runner", KubernetesCluster{JobRunner: JobRunnerResources{Requests: map[string]string{"cpu": "250m", "memory": "384Mi"}}}, ""},
		{"bad quantity", KubernetesCluster{JobRunner: JobRunnerResources{Requests: map[string]string{"cpu": "lots"}}}, `clusters[0].jobRunner.requests.cpu "lots": want a Kubernetes quantity`},
		{"unknown resource", KubernetesCluster{JobRunner: JobRunnerResources{Limits: map[string]string{"gpu": "1"}}}, "clusters[0].jobRunner.limits.gpu: want cpu, memory or ephemeral-storage"},
		{"request above limit", KubernetesCluster{JobRunner: JobRunnerResources{Requests: map[string]string{"cpu": "2"}, Limits: map[string]string{"cpu": "1"}}}, "requests.cpu 2 exceeds limits.cpu 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.k.ID, tc.k.InCluster = "eks", true
			c := Default()
			c.Clusters = []KubernetesCluster{tc.k}
			err := c.Validate()
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("Validate() = %v, want nil", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("Validate() = %v, want an error saying %q", err, tc.want)
			}
		})
	}
}
