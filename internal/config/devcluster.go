package config

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
)

// DevClusterID is the cluster id the embedded Kubernetes cluster of
// `sparkplane dev-cluster` is registered as.
const DevClusterID = "dev"

// DefaultPodCIDR is the embedded cluster's pod network.
const DefaultPodCIDR = "10.244.0.0/16"

// The embedded cluster's S3 server (versitygw on a folder of the cluster's):
// it listens on 127.0.0.1 (which pods, host processes sharing the host's
// network, reach as well), signs for DevS3Region and has the bucket
// DevS3Bucket ready.
const (
	DefaultDevS3Port = 7070
	DevS3Region      = "us-east-1"
	DevS3Bucket      = "sparkplane-dev"
)

// DevCluster configures `sparkplane dev-cluster`, the embedded Kubernetes
// cluster whose pods run as host processes.
type DevCluster struct {
	// Dir keeps its certificates, etcd data, logs and kubeconfig; default
	// <dataDir>/dev-cluster.
	Dir string `json:"dir"`
	// PodCIDR is the pod network, made local to this host; the apiserver
	// serves on its first address, port 443 (default 10.244.0.0/16).
	PodCIDR string `json:"podCIDR"`
	// S3Port is the port of its S3 server on 127.0.0.1 (default 7070).
	S3Port int `json:"s3Port"`
	// Images map container images to host roots, before the built-in
	// rules (Apache Spark images → the installed Spark; busybox, debian,
	// ubuntu, alpine, python → the host).
	Images []DevImage `json:"images"`
	// SubmissionMode is the cluster's submission mode (see
	// KubernetesCluster.SubmissionMode).
	SubmissionMode string `json:"submissionMode"`
}

// DevImage maps the images whose name (without tag) matches Match.
type DevImage struct {
	// Match is a glob over the image name, e.g. "myteam/spark-*".
	Match string `json:"match"`
	// Spark makes the image behave as an Apache Spark image: the installed
	// Spark at /opt/spark and the driver/executor entrypoint.
	Spark bool `json:"spark"`
	// Mounts show host folders inside its pods.
	Mounts []DevMount `json:"mounts"`
	// Env and WorkingDir are what the image would define.
	Env        map[string]string `json:"env"`
	WorkingDir string            `json:"workingDir"`
}

// DevMount shows Source (a host path) at Target inside a pod.
type DevMount struct {
	Source   string `json:"source"`
	Target   string `json:"target"`
	ReadOnly bool   `json:"readOnly"`
}

// DevClusterDir is where the embedded cluster keeps its state.
func (c *Config) DevClusterDir() string {
	if c.DevCluster.Dir != "" {
		return c.DevCluster.Dir
	}
	return filepath.Join(c.DataDir, "dev-cluster")
}

// DevClusterKubeconfig is the kubeconfig `sparkplane dev-cluster up` writes.
func (c *Config) DevClusterKubeconfig() string {
	return filepath.Join(c.DevClusterDir(), "control-plane", "kubeconfig")
}

// DevS3Address is where the embedded cluster's S3 server listens.
func (c *Config) DevS3Address() string {
	port := c.DevCluster.S3Port
	if port == 0 {
		port = DefaultDevS3Port
	}
	return fmt.Sprintf("127.0.0.1:%d", port)
}

// DevS3Endpoint is the URL of the embedded cluster's S3 server.
func (c *Config) DevS3Endpoint() string { return "http://" + c.DevS3Address() }

// DevS3CredentialsFile is the AWS shared credentials file (0600) whose
// [default] profile is the embedded cluster's S3 root account, written by
// the first `sparkplane dev-cluster up`.
func (c *Config) DevS3CredentialsFile() string {
	return filepath.Join(c.DevClusterDir(), "s3", "credentials")
}

// WithDevS3 returns the s3 section to use: the configured one, or, when it
// names no endpoint and the embedded cluster has an S3 server (its
// credentials file exists), that server, path-style, with its root account
// as the default credentials unless s3.credentialsFile names others.
func (c *Config) WithDevS3() S3 {
	s := c.S3
	if s.Endpoint != "" {
		return s
	}
	if _, err := os.Stat(c.DevS3CredentialsFile()); err != nil {
		return s
	}
	s.Endpoint, s.PathStyle = c.DevS3Endpoint(), true
	if s.Region == "" {
		s.Region = DevS3Region
	}
	if s.CredentialsFile == "" {
		s.CredentialsFile = c.DevS3CredentialsFile()
	}
	return s
}

// PodCIDR is the embedded cluster's pod network.
func (c *Config) PodCIDR() (netip.Prefix, error) {
	s := c.DevCluster.PodCIDR
	if s == "" {
		s = DefaultPodCIDR
	}
	p, err := netip.ParsePrefix(s)
	if err != nil || !p.Addr().Is4() || p.Bits() > 28 {
		return netip.Prefix{}, fmt.Errorf("devCluster.podCIDR %q: want an IPv4 range of at least 16 addresses, like %s", s, DefaultPodCIDR)
	}
	return p.Masked(), nil
}

// WithDevCluster returns the clusters to register: the configured ones,
// plus the embedded cluster as "dev" when its kubeconfig exists and no
// configured cluster already uses that id. Its runs of roles without a
// kubernetesSecret get s3.credentialsFile's keys, like local runs: the
// EMR examples read and write the embedded S3 server unchanged.
func (c *Config) WithDevCluster() []KubernetesCluster {
	for _, k := range c.Clusters {
		if k.ID == DevClusterID {
			return c.Clusters
		}
	}
	path := c.DevClusterKubeconfig()
	if _, err := os.Stat(path); err != nil {
		return c.Clusters
	}
	return append(append([]KubernetesCluster{}, c.Clusters...), KubernetesCluster{ID: DevClusterID, Kubeconfig: path,
		SparkDefaults: DevSparkDefaults, DefaultS3Credentials: true, SubmissionMode: c.DevCluster.SubmissionMode})
}

// DevSparkDefaults let the EMR examples' pods (a driver and executors of
// one or two cores each) fit on a laptop's node: pods request a quarter of
// a core each. A run's own spark-defaults or --conf still win.
var DevSparkDefaults = map[string]string{
	"spark.kubernetes.driver.request.cores":   "250m",
	"spark.kubernetes.executor.request.cores": "250m",
}

func (d DevCluster) validate() error {
	if err := checkSubmissionMode("devCluster.submissionMode", d.SubmissionMode); err != nil {
		return err
	}
	if d.S3Port < 0 || d.S3Port > 65535 {
		return fmt.Errorf("devCluster.s3Port %d: want a TCP port (0: %d)", d.S3Port, DefaultDevS3Port)
	}
	for i, im := range d.Images {
		if im.Match == "" {
			return fmt.Errorf("devCluster.images[%d].match: required", i)
		}
		for j, m := range im.Mounts {
			if !filepath.IsAbs(m.Source) || !filepath.IsAbs(m.Target) {
				return fmt.Errorf("devCluster.images[%d].mounts[%d]: source and target must be absolute paths", i, j)
			}
		}
	}
	return nil
}
