package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// patchVC sends UpdateVirtualCluster, which the pinned SDK and CLI predate
// (model of 2026-07), as they would: PATCH with a JSON body.
func patchVC(t *testing.T, url, vc, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPatch, url+"/virtualclusters/"+vc, bytes.NewBufferString(body))
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&out)
	return resp.StatusCode, out
}

func TestMaxConcurrentJobRunsQueuesRealRuns(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "sched", "sched")
	for _, bad := range []string{`{"clientToken":"t","schedulerConfiguration":{"maxConcurrentJobRuns":0}}`,
		`{"clientToken":"t","schedulerConfiguration":{"maxInQueueJobRuns":50}}`, `{"schedulerConfiguration":{}}`} {
		if code, out := patchVC(t, s.URL, vc, bad); code != 400 || !strings.Contains(out["message"].(string), "schedulerConfiguration") && !strings.Contains(out["message"].(string), "clientToken") {
			t.Errorf("%s: %d %v", bad, code, out)
		}
	}
	code, out := patchVC(t, s.URL, vc, `{"clientToken":"t1","schedulerConfiguration":{"maxConcurrentJobRuns":1,"maxInQueueJobRuns":100}}`)
	if code != 200 {
		t.Fatalf("UpdateVirtualCluster: %d %v", code, out)
	}
	got := out["virtualCluster"].(map[string]any)
	if got["schedulerConfiguration"].(map[string]any)["maxConcurrentJobRuns"].(float64) != 1 || got["schedulerStatus"] == nil {
		t.Errorf("updated virtual cluster %v", got)
	}

	app := "file://" + writeApp(t, "sleep.py", sleeper)
	first := startJob(t, s.Client, vc, "first", app, "", "4")
	second := startJob(t, s.Client, vc, "second", app, "", "1")
	waitFor(t, s.Client, vc, first, 2*time.Minute, func(st types.JobRunState) bool { return st == types.JobRunStateRunning })
	if run, _ := waitFor(t, s.Client, vc, second, time.Second, func(types.JobRunState) bool { return true }); run.State != types.JobRunStatePending {
		t.Fatalf("second run is %s while the only slot is taken", run.State)
	}
	_, out = patchVC(t, s.URL, vc, `{"clientToken":"t2","schedulerConfiguration":{"maxConcurrentJobRuns":1,"maxInQueueJobRuns":100}}`)
	status := out["virtualCluster"].(map[string]any)["schedulerStatus"].(map[string]any)
	if status["currentConcurrentJobRuns"].(float64) != 1 || status["currentInQueueJobRuns"].(float64) != 1 {
		t.Errorf("schedulerStatus %v, want 1 running and 1 in the queue", status)
	}
	a, _ := waitFor(t, s.Client, vc, first, 2*time.Minute, terminal)
	b, _ := waitFor(t, s.Client, vc, second, 2*time.Minute, terminal)
	if a.State != types.JobRunStateCompleted || b.State != types.JobRunStateCompleted {
		t.Fatalf("first %s, second %s", a.State, b.State)
	}
	d, err := s.Client.DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(second)})
	if err != nil || d.JobRun.FinishedAt.Before(*a.FinishedAt) {
		t.Errorf("second run finished %v, before the first (%v)", d.JobRun.FinishedAt, a.FinishedAt)
	}
}

func TestMaxInQueueJobRunsRefusesNewRuns(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "full", "full")
	if code, out := patchVC(t, s.URL, vc, `{"clientToken":"t","schedulerConfiguration":{"maxConcurrentJobRuns":1,"maxInQueueJobRuns":100}}`); code != 200 {
		t.Fatalf("UpdateVirtualCluster: %d %v", code, out)
	}
	app := "file://" + writeApp(t, "sleep.py", sleeper)
	blocker := startJob(t, s.Client, vc, "blocker", app, "", "600")
	waitFor(t, s.Client, vc, blocker, 2*time.Minute, func(st types.JobRunState) bool { return st == types.JobRunStateRunning })
	var queued []string
	for range 100 {
		queued = append(queued, startJob(t, s.Client, vc, "queued", "local:///usr/lib/spark/examples/none.py", ""))
	}
	_, err := s.Client.StartJobRun(context.Background(), piInput(vc))
	if code := apiCode(err); code != "ValidationException" || !strings.Contains(err.Error(), "maxInQueueJobRuns") {
		t.Fatalf("101st run: %v", err)
	}
	// Removing the limits lets the queue drain.
	if code, _ := patchVC(t, s.URL, vc, `{"clientToken":"t2"}`); code != 200 {
		t.Fatal("removing the limits failed")
	}
	waitFor(t, s.Client, vc, queued[len(queued)-1], time.Minute, terminal)
	if _, err := s.Client.CancelJobRun(context.Background(), &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(blocker)}); err != nil {
		t.Fatal(err)
	}
}
