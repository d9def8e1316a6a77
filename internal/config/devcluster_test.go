package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWithDevClusterRegistersOnlyAnExistingCluster(t *testing.T) {
	c := Default()
	c.DataDir = t.TempDir()
	if got := c.WithDevCluster(); len(got) != 0 {
		t.Fatalf("registered %v before dev-cluster up", got)
	}
	kubeconfig := c.DevClusterKubeconfig()
	if err := os.MkdirAll(filepath.Dir(kubeconfig), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kubeconfig, []byte("apiVersion: v1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	got := c.WithDevCluster()
	if len(got) != 1 || got[0].ID != DevClusterID || got[0].Kubeconfig != kubeconfig {
		t.Fatalf("WithDevCluster = %+v", got)
	}
	c.Clusters = []KubernetesCluster{{ID: "dev", Kubeconfig: "/elsewhere"}}
	if got := c.WithDevCluster(); len(got) != 1 || got[0].Kubeconfig != "/elsewhere" {
		t.Fatalf("a configured dev cluster was replaced: %+v", got)
	}
}

func TestDevClusterValidation(t *testing.T) {
	for _, tt := range []struct {
		dev  DevCluster
		want string
	}{
		{DevCluster{PodCIDR: "10.244.0.0/30"}, "devCluster.podCIDR"},
		{DevCluster{PodCIDR: "fd00::/64"}, "devCluster.podCIDR"},
		{DevCluster{PodCIDR: "nonsense"}, "devCluster.podCIDR"},
		{DevCluster{Images: []DevImage{{}}}, "devCluster.images[0].match"},
		{DevCluster{Images: []DevImage{{Match: "x", Mounts: []DevMount{{Source: "rel", Target: "/t"}}}}}, "devCluster.images[0].mounts[0]"},
	} {
		c := Default()
		c.DevCluster = tt.dev
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%+v: err = %v, want %q", tt.dev, err, tt.want)
		}
	}
	c := Default()
	c.DevCluster.PodCIDR = "10.99.0.5/16"
	p, err := c.PodCIDR()
	if err != nil || p.String() != "10.99.0.0/16" {
		t.Fatalf("PodCIDR = %v, %v", p, err)
	}
}
