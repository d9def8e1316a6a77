package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cli"
)

// runCLI runs a sparkplane command in-process.
func runCLI(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var stdout, stderr bytes.Buffer
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	env := &cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	code := cli.Run(ctx, env, args)
	return stdout.String(), stderr.String(), code
}

// TestQuickstart runs the README's first command as a user would.
func TestQuickstart(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { killRuns(dir) })
	out, errOut, code := runCLI(t, "quickstart", "--data-dir", dir, "--addr", "127.0.0.1:0")
	if code != 0 {
		t.Fatalf("quickstart exited %d:\n%s\n%s", code, out, errOut)
	}
	// The first poll may already find the run SUBMITTED; RUNNING lasts seconds.
	for _, want := range []string{"RUNNING", "COMPLETED", "Driver output: Pi is roughly 3.1", "aws emr-containers --endpoint-url", "start-job-run"} {
		if !strings.Contains(out, want) {
			t.Errorf("quickstart output lacks %q:\n%s", want, out)
		}
	}
	// A second quickstart reuses the virtual cluster it created.
	out2, _, code := runCLI(t, "quickstart", "--data-dir", dir, "--addr", "127.0.0.1:0")
	if code != 0 || vcLine(out) != vcLine(out2) {
		t.Errorf("second quickstart: exit %d, %q vs %q", code, vcLine(out2), vcLine(out))
	}
}

func vcLine(out string) string {
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "Virtual cluster") {
			return l
		}
	}
	return ""
}

func TestLogsCommand(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "logs", "logs")
	id := startJob(t, s.Client, vc, "pi", piEntryPoint, piParams)
	waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)

	out, errOut, code := runCLI(t, "logs", "--endpoint-url", s.URL, "--stream", "stdout", vc, id)
	if code != 0 || !strings.Contains(out, "Pi is roughly") {
		t.Errorf("logs --stream stdout: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "logs", "--endpoint-url", s.URL, vc, id)
	if code != 0 || !strings.Contains(out, "==> stderr <==") || !strings.Contains(out, "SparkContext") {
		t.Errorf("logs: exit %d\n%s", code, out)
	}
	_, errOut, code = runCLI(t, "logs", "--endpoint-url", s.URL, vc, "0000000000000000000")
	if code != 1 || !strings.Contains(errOut, "ResourceNotFoundException") {
		t.Errorf("logs of an unknown run: exit %d, %s", code, errOut)
	}
	if _, _, code := runCLI(t, "logs", vc); code != 2 {
		t.Errorf("logs with one argument: exit %d, want 2 (usage)", code)
	}
}

func TestVersionAndUsage(t *testing.T) {
	if out, _, code := runCLI(t, "version"); code != 0 || !strings.HasPrefix(out, "sparkplane ") {
		t.Errorf("version: %d %q", code, out)
	}
	if _, errOut, code := runCLI(t, "frobnicate"); code != 2 || !strings.Contains(errOut, "unknown command") {
		t.Errorf("unknown command: %d %q", code, errOut)
	}
}

func TestClustersAndRunsCommands(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "listing", "listing")
	id := startJob(t, s.Client, vc, "missing", "local:///usr/lib/spark/examples/none.py", "")
	waitFor(t, s.Client, vc, id, time.Minute, terminal)

	out, errOut, code := runCLI(t, "clusters", "--endpoint-url", s.URL)
	if code != 0 || !strings.HasPrefix(out, "ID ") || !strings.Contains(out, vc) || !strings.Contains(out, "listing") {
		t.Errorf("clusters: exit %d\n%s%s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, "runs", "--endpoint-url", s.URL, vc)
	if code != 0 || !strings.Contains(out, id) || !strings.Contains(out, "FAILED") {
		t.Errorf("runs: exit %d\n%s%s", code, out, errOut)
	}
	out, _, code = runCLI(t, "runs", "--endpoint-url", s.URL, "--output", "json", "--states", "completed", vc)
	var none struct{ JobRuns []map[string]any }
	if code != 0 || json.Unmarshal([]byte(out), &none) != nil || len(none.JobRuns) != 0 {
		t.Errorf("runs --states completed --output json: exit %d %q", code, out)
	}
	// JSON output is the wire format, as `aws emr-containers list-job-runs` prints it.
	out, _, code = runCLI(t, "runs", "--endpoint-url", s.URL, "--output", "json", vc)
	var failed struct {
		JobRuns []struct{ ID, State, VirtualClusterID string }
	}
	if code != 0 || json.Unmarshal([]byte(out), &failed) != nil || len(failed.JobRuns) != 1 || failed.JobRuns[0].ID != id ||
		!strings.Contains(out, `"virtualClusterId": "`+vc+`"`) {
		t.Errorf("runs --output json: exit %d %q", code, out)
	}
	out, _, code = runCLI(t, "clusters", "--endpoint-url", s.URL, "--output", "json")
	if code != 0 || !strings.Contains(out, `"virtualClusters"`) || !strings.Contains(out, `"id": "`+vc+`"`) {
		t.Errorf("clusters --output json: exit %d %q", code, out)
	}
	if _, _, code := runCLI(t, "runs", "--output", "yaml", vc); code != 2 {
		t.Errorf("runs --output yaml: exit %d, want 2", code)
	}
}
