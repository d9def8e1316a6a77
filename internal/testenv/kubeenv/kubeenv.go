// Package kubeenv starts a real, throwaway Kubernetes control plane for
// tests: etcd, kube-apiserver and optionally kube-controller-manager
// v1.34.2 in a temporary folder, through package controlplane. No kubelet
// or scheduler runs, so pods stay Pending unless a test (or the node agent)
// plays the node's part.
//
// The binaries are taken from $SPARKPLANE_KUBE_BIN when set, otherwise from
// ${SPARKPLANE_CACHE:-$HOME/.cache/sparkplane}/kube-v1.34.2; when that
// folder is incomplete scripts/kube-binaries.sh is run (about 6-8 minutes
// on a cold Go build cache, so run the script once before `go test` in CI).
package kubeenv

import (
	"context"

	"github.com/sparkplane/sparkplane/internal/controlplane"
)

// KubeVersion is the Kubernetes version the binaries are built at.
const KubeVersion = controlplane.KubeVersion

// ContextName is the name of the cluster, user and context in the
// kubeconfig written by Start.
const ContextName = controlplane.ContextName

// ServiceClusterIPRange is the service CIDR; the "kubernetes" service gets
// 10.0.0.1.
const ServiceClusterIPRange = controlplane.ServiceClusterIPRange

// Options controls Start; leave Dir empty for a throwaway cluster.
type Options = controlplane.Options

// Env is a running control plane. Stop it when done.
type Env = controlplane.Env

// Start starts a throwaway control plane on free loopback ports; see
// controlplane.Start.
func Start(ctx context.Context, opts Options) (*Env, error) {
	return controlplane.Start(ctx, opts)
}
