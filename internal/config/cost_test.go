package config

import (
	"os"
	"path/filepath"
	"testing"
)

// The cost keys load from a configuration file.
func TestLoadCostKeys(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte("pricing: /etc/sparkplane/pricing.yaml\nlocal:\n  instanceType: m5.2xlarge\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.Load(path); err != nil {
		t.Fatalf("Load() error = %v", err)
	}
	if c.Pricing != "/etc/sparkplane/pricing.yaml" || c.Local.InstanceType != "m5.2xlarge" {
		t.Errorf("pricing %q, local.instanceType %q", c.Pricing, c.Local.InstanceType)
	}
}
