package app

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"

	"github.com/sparkplane/sparkplane/internal/ack"
	"github.com/sparkplane/sparkplane/internal/config"
)

// ackLeaseName is the lease of the one server (of those sharing a store)
// that reconciles the ACK resources of a cluster.
func ackLeaseName(cluster string) string { return "ack/" + cluster }

// newACK returns the reconciler of cfg.ACK (nil when it is off): it
// reconciles the custom resources of cluster cfg.ACK.Cluster through the
// API handler h, signed as cfg.ACK.AccessKeyID when authn checks callers.
// leases (nil: this server is alone on its store) let one server at a
// time reconcile, as owner.
func newACK(cfg config.Config, h http.Handler, authn *authenticator, leases ack.Leases, owner string, log *slog.Logger) (*ack.Reconciler, error) {
	if !cfg.ACK.Enabled {
		return nil, nil
	}
	var cluster *config.KubernetesCluster
	for i := range cfg.Clusters {
		if cfg.Clusters[i].ID == cfg.ACK.Cluster {
			cluster = &cfg.Clusters[i]
		}
	}
	if cluster == nil {
		return nil, fmt.Errorf("ack.cluster %q: not a registered Kubernetes cluster (clusters, or \"dev\" while the embedded cluster exists)", cfg.ACK.Cluster)
	}
	rc, err := restConfig(*cluster)
	if err != nil {
		return nil, fmt.Errorf("ack.cluster %s: %w", cluster.ID, err)
	}
	rc.UserAgent = "sparkplane-ack"
	client, err := dynamic.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("ack.cluster %s: %w", cluster.ID, err)
	}
	disc, err := discovery.NewDiscoveryClientForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("ack.cluster %s: %w", cluster.ID, err)
	}
	creds, err := ackCredentials(cfg, authn)
	if err != nil {
		return nil, err
	}
	return ack.New(ack.Options{
		Client: client, Discovery: disc, API: ack.InProcessClient(h, cfg.Region, creds), Namespaces: cfg.ACK.Namespaces,
		Partition: cfg.Partition, Region: cfg.Region, Account: cfg.AccountID,
		Leases: leases, LeaseName: ackLeaseName(cluster.ID), Owner: owner,
		Logger: log.With("ackCluster", cluster.ID),
	}), nil
}

// ackCredentials are what the reconciler signs its calls with: the key
// ack.accessKeyId of the access file, read at each call (the file is
// reloaded when it changes); without an access file any key does, as the
// server checks none.
func ackCredentials(cfg config.Config, authn *authenticator) (aws.CredentialsProvider, error) {
	if authn == nil {
		return credentials.NewStaticCredentialsProvider("sparkplane-ack", "unchecked", ""), nil
	}
	id := cfg.ACK.AccessKeyID
	if _, _, ok := authn.access.SigningKey(id); !ok {
		return nil, fmt.Errorf("ack.accessKeyId %q: no such access key in the access file", id)
	}
	return aws.CredentialsProviderFunc(func(context.Context) (aws.Credentials, error) {
		secret, token, ok := authn.access.SigningKey(id)
		if !ok {
			return aws.Credentials{}, fmt.Errorf("ack.accessKeyId %s: no longer in the access file", id)
		}
		return aws.Credentials{AccessKeyID: id, SecretAccessKey: secret, SessionToken: token, Source: "sparkplane access file"}, nil
	}), nil
}

// runACK reconciles the ACK resources until ctx ends (nothing when off).
func (a *App) runACK(ctx context.Context) {
	if a.ack != nil {
		a.ack.Run(ctx)
	}
}
