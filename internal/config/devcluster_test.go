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
	if len(got) != 1 || got[0].ID != DevClusterID || got[0].Kubeconfig != kubeconfig || !got[0].DefaultS3Credentials {
		t.Fatalf("WithDevCluster = %+v", got)
	}
	c.Clusters = []KubernetesCluster{{ID: "dev", Kubeconfig: "/elsewhere"}}
	if got := c.WithDevCluster(); len(got) != 1 || got[0].Kubeconfig != "/elsewhere" {
		t.Fatalf("a configured dev cluster was replaced: %+v", got)
	}
}

func TestWithDevS3DefaultsToTheEmbeddedServerOnlyWhenUnset(t *testing.T) {
	c := Default()
	c.DataDir = t.TempDir()
	if got := c.WithDevS3(); got != c.S3 {
		t.Fatalf("defaulted to %+v before dev-cluster up", got)
	}
	creds := c.DevS3CredentialsFile()
	if err := os.MkdirAll(filepath.Dir(creds), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(creds, []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	want := S3{Endpoint: "http://127.0.0.1:7070", Region: DevS3Region, PathStyle: true, CredentialsFile: creds}
	if got := c.WithDevS3(); got != want {
		t.Fatalf("WithDevS3 = %+v, want %+v", got, want)
	}
	c.DevCluster.S3Port = 9999
	c.S3.CredentialsFile = "/mine"
	if got := c.WithDevS3(); got.Endpoint != "http://127.0.0.1:9999" || got.CredentialsFile != "/mine" {
		t.Fatalf("WithDevS3 with s3Port and a credentials file = %+v", got)
	}
	c.S3 = S3{Endpoint: "https://s3.example.com"}
	if got := c.WithDevS3(); got != c.S3 {
		t.Fatalf("a configured endpoint was replaced: %+v", got)
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
		{DevCluster{S3Port: 70000}, "devCluster.s3Port"},
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
