package devcluster

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/devcluster"
)

// status reports the running cluster; down (run last: the file sorts last)
// stops it and leaves no process of it behind.
func TestStatusThenDownLeavesNothing(t *testing.T) {
	out, err := sparkplane(time.Minute, "dev-cluster", "status", "--data-dir", dataDir, "--output", "json")
	if err != nil {
		t.Fatalf("status: %v\n%s", err, out)
	}
	var st devcluster.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --output json: %v\n%s", err, out)
	}
	if !st.Running || !st.NodeReady || st.Node != devcluster.NodeName || st.Network != devcluster.NetworkRouted {
		t.Fatalf("status %+v", st)
	}
	if out, err := sparkplane(time.Minute, "dev-cluster", "status", "--data-dir", dataDir); err != nil || !strings.Contains(out, "Ready") {
		t.Fatalf("status table: %v\n%s", err, out)
	}
	if len(devcluster.Leftovers(layout)) == 0 {
		t.Fatal("no process is marked as the cluster's while it runs: Leftovers cannot prove anything")
	}
	if out, err := sparkplane(3*time.Minute, "dev-cluster", "down", "--data-dir", dataDir); err != nil {
		t.Fatalf("down: %v\n%s", err, out)
	}
	if left := devcluster.Leftovers(layout); len(left) > 0 {
		t.Fatalf("processes left after down: %v", left)
	}
	out, err = sparkplane(time.Minute, "dev-cluster", "status", "--data-dir", dataDir)
	if err != nil || !strings.Contains(out, "not running") {
		t.Fatalf("status after down: %v\n%s", err, out)
	}
}
