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

// DevCluster configures `sparkplane dev-cluster`, the embedded Kubernetes
// cluster whose pods run as host processes.
type DevCluster struct {
	// Dir keeps its certificates, etcd data, logs and kubeconfig; default
	// <dataDir>/dev-cluster.
	Dir string `json:"dir"`
	// PodCIDR is the pod network, made local to this host; the apiserver
	// serves on its first address, port 443 (default 10.244.0.0/16).
	PodCIDR string `json:"podCIDR"`
	// Images map container images to host roots, before the built-in
	// rules (Apache Spark images → the installed Spark; busybox, debian,
	// ubuntu, alpine, python → the host).
	Images []DevImage `json:"images"`
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
// configured cluster already uses that id.
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
		SparkDefaults: DevSparkDefaults})
}

// DevSparkDefaults let the EMR examples' pods (a driver and executors of
// one or two cores each) fit on a laptop's node: pods request a quarter of
// a core each. A run's own spark-defaults or --conf still win.
var DevSparkDefaults = map[string]string{
	"spark.kubernetes.driver.request.cores":   "250m",
	"spark.kubernetes.executor.request.cores": "250m",
}

func (d DevCluster) validate() error {
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
