package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestACKConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "c.yaml")
	if err := os.WriteFile(path, []byte("ack:\n  enabled: true\n  cluster: dev\n  namespaces: [analytics, etl]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	if err := c.Load(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatal(err)
	}
	if !c.ACK.Enabled || c.ACK.Cluster != "dev" || strings.Join(c.ACK.Namespaces, ",") != "analytics,etl" {
		t.Errorf("ack %+v", c.ACK)
	}
	for _, bad := range []struct {
		ack    ACK
		access string
		want   string
	}{
		{ACK{Enabled: true}, "", "ack.cluster"},
		{ACK{Enabled: true, Cluster: "dev", Namespaces: []string{"Not_A_Name"}}, "", "ack.namespaces[0]"},
		{ACK{Enabled: true, Cluster: "dev"}, "/etc/sparkplane/access.yaml", "ack.accessKeyId"},
	} {
		c := Default()
		c.ACK, c.Security.Access = bad.ack, bad.access
		if err := c.ACK.validate(c.Security.Access); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v; want an error naming %s", bad.ack, err, bad.want)
		}
	}
	if err := (ACK{Cluster: ""}).validate(""); err != nil {
		t.Errorf("a disabled reconciler needs nothing: %v", err)
	}
}
