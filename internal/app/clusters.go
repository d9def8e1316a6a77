package app

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
	"github.com/sparkplane/sparkplane/internal/s3server"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// kubernetesRuntime builds the runtime of one registered cluster. It does
// not contact the cluster: an unreachable cluster fails runs, not start-up.
// usage receives every pod's metered usage, archive the logs of ended
// attempts (nil: none kept), ship where the logs of runs go. roles are the configured execution roles: what
// each role's runs get (its kubernetesSecret). s3a is the object storage
// s3:// URIs reach, s3Credentials its default credentials file (read when a
// run needs it, on clusters with DefaultS3Credentials only); s3 opens it
// with an execution role's credentials, for the pod templates runs name in
// S3; eventLogDir prepares the folder of a run's Spark event log (see
// k8sruntime.Options.EventLogDir).
func kubernetesRuntime(k config.KubernetesCluster, roles []config.ExecutionRole, s3a sparksubmit.S3A, s3Credentials string,
	s3 func(ctx context.Context, executionRoleARN string) (k8sruntime.ObjectReader, error),
	usage runtime.UsageSink, archive runtime.LogArchive, eventLogDir func(context.Context, *emr.JobRun) (string, error), ship shipping,
	log *slog.Logger) (*k8sruntime.Runtime, error) {
	rc, err := restConfig(k)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", k.ID, err)
	}
	rc.UserAgent = "sparkplane"
	rc.QPS, rc.Burst = 200, 400 // one StartJobRun makes a handful of writes
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return nil, fmt.Errorf("cluster %s: %w", k.ID, err)
	}
	images := make([]k8sruntime.Image, len(k.Images))
	for i, im := range k.Images {
		images[i] = k8sruntime.Image{ReleasePrefix: im.ReleasePrefix, Image: im.Image, SparkHome: im.SparkHome, SparkVersion: im.SparkVersion}
	}
	grants := map[string]k8sruntime.RoleGrant{}
	for _, r := range roles {
		grants[r.ARN] = k8sruntime.RoleGrant{KubernetesSecret: r.KubernetesSecret}
	}
	var defaultKeys func() (k8sruntime.AccessKeys, error)
	if k.DefaultS3Credentials && s3Credentials != "" {
		defaultKeys = func() (k8sruntime.AccessKeys, error) {
			c, err := s3server.ReadCredentialsFile(s3Credentials)
			return k8sruntime.AccessKeys{AccessKeyID: c.AccessKeyID, SecretAccessKey: c.SecretAccessKey}, err
		}
	}
	return k8sruntime.New(k8sruntime.Options{
		ClusterID: k.ID, Client: client, Images: images, SparkDefaults: k.SparkDefaults, S3A: s3a,
		Roles: grants, DefaultKeys: defaultKeys, S3: s3, PodTemplateDirs: k.PodTemplateDirs, AllowPrivilegedPodTemplates: k.AllowPrivilegedPodTemplates,
		Usage: usage, Archive: archive, EventLogDir: eventLogDir, Logger: log.With("cluster", k.ID),
		Ship: ship.opener, ShipDir: filepath.Join(ship.dir, k.ID),
		JobRunner: jobRunnerResources(k.JobRunner), Admission: admissionMode(k.Admission), SubmissionMode: emr.SubmissionMode(k.SubmissionMode),
	}), nil
}

func restConfig(k config.KubernetesCluster) (*rest.Config, error) {
	if k.InCluster {
		return rest.InClusterConfig()
	}
	path, err := filepath.Abs(k.Kubeconfig)
	if err != nil {
		return nil, err
	}
	rules := &clientcmd.ClientConfigLoadingRules{ExplicitPath: path}
	return clientcmd.NewNonInteractiveDeferredLoadingClientConfig(rules,
		&clientcmd.ConfigOverrides{CurrentContext: k.Context}).ClientConfig()
}

// namespaceChecker vets new virtual clusters on the Kubernetes clusters.
func namespaceChecker(rts map[string]*k8sruntime.Runtime) func(ctx context.Context, clusterID, ns string) error {
	return func(ctx context.Context, clusterID, ns string) error {
		if rt, ok := rts[clusterID]; ok {
			return rt.CheckNamespace(ctx, ns)
		}
		return nil // the local runtime takes any namespace
	}
}
