package config

import (
	"fmt"
	"regexp"
)

// ACK configures the reconciler of the ACK-compatible custom resources
// (group emrcontainers.services.k8s.aws: VirtualCluster and JobRun, as
// defined by AWS Controllers for Kubernetes' emrcontainers-controller).
type ACK struct {
	// Enabled turns the reconciler on.
	Enabled bool `json:"enabled"`
	// Cluster is the registered cluster (an id of clusters, or "dev") whose
	// custom resources are reconciled; its credentials need the rights of
	// deploy/ack/rbac.yaml.
	Cluster string `json:"cluster"`
	// Namespaces limits the reconciler to these namespaces; empty: all.
	Namespaces []string `json:"namespaces"`
	// AccessKeyID is the access key (of the access file, security.access)
	// whose principal the reconciler calls the API as, with that
	// principal's policies. Required with an access file; without one the
	// reconciler calls as the account's root, as every caller does.
	AccessKeyID string `json:"accessKeyId"`
}

var patNamespace = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)

func (a ACK) validate(access string) error {
	if !a.Enabled {
		return nil
	}
	if a.Cluster == "" {
		return fmt.Errorf("ack.cluster: name the registered cluster whose custom resources to reconcile (\"dev\" for the embedded one)")
	}
	for i, ns := range a.Namespaces {
		if len(ns) > 63 || !patNamespace.MatchString(ns) {
			return fmt.Errorf("ack.namespaces[%d] %q: not a Kubernetes namespace name", i, ns)
		}
	}
	if access != "" && a.AccessKeyID == "" {
		return fmt.Errorf("ack.accessKeyId: required with security.access (the access key the reconciler calls the API with)")
	}
	return nil
}
