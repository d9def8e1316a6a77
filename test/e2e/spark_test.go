package e2e

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

func TestPiCompletes(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "e2e", "default")
	id := startJob(t, s.Client, vc, "pi", piEntryPoint, piParams)

	run, seen := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	if run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED; stderr:\n%s", run.State, aws.ToString(run.StateDetails), getLog(t, s.URL, vc, id, "stderr"))
	}
	if !slices.Contains(seen, types.JobRunStateRunning) && len(seen) > 1 {
		t.Errorf("states seen %v: RUNNING never observed", seen)
	}
	if run.FinishedAt == nil || run.FinishedAt.Before(*run.CreatedAt) {
		t.Errorf("finishedAt %v, createdAt %v", run.FinishedAt, run.CreatedAt)
	}
	if run.FailureReason != "" {
		t.Errorf("failureReason %q on a completed run", run.FailureReason)
	}
	if out := getLog(t, s.URL, vc, id, "stdout"); !strings.Contains(out, "Pi is roughly 3.1") {
		t.Errorf("stdout has no Pi line:\n%s", out)
	}
	// spark-submit ran in local mode sized from 2 executors x 1 core, with the EMR parameters passed on.
	if errOut := getLog(t, s.URL, vc, id, "stderr"); !strings.Contains(errOut, "Running Spark version 3.5") {
		t.Errorf("stderr does not show a Spark 3.5 driver:\n%s", lastN(errOut, 20))
	}
}

func TestFailingApplicationFails(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "e2e", "default")
	app := writeApp(t, "fail.py", `
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("fail").getOrCreate()
spark.range(10).count()
raise ValueError("sparkplane test failure 42")
`)
	id := startJob(t, s.Client, vc, "fail", "file://"+app, "--conf spark.executor.instances=1")
	run, _ := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonUserError {
		t.Fatalf("state %s reason %s, want FAILED USER_ERROR", run.State, run.FailureReason)
	}
	if d := aws.ToString(run.StateDetails); !strings.Contains(d, "ValueError: sparkplane test failure 42") || len(d) > 256 {
		t.Errorf("stateDetails %q: want the error, at most 256 chars", d)
	}
}

func TestMissingEntryPointFailsValidation(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "e2e", "default")
	id := startJob(t, s.Client, vc, "missing", "local:///usr/lib/spark/examples/no-such-app.py", "")
	run, _ := waitFor(t, s.Client, vc, id, time.Minute, terminal)
	if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonValidationError {
		t.Fatalf("state %s reason %s, want FAILED VALIDATION_ERROR", run.State, run.FailureReason)
	}
	if d := aws.ToString(run.StateDetails); !strings.Contains(d, "no-such-app.py") {
		t.Errorf("stateDetails %q does not name the entry point", d)
	}
}

// sleeper is a PySpark app that starts its driver, says so, and sleeps.
const sleeper = `
import sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("sleeper").getOrCreate()
print("sleeper started", flush=True)
time.sleep(float(sys.argv[1]))
print("sleeper done", flush=True)
spark.stop()
`

func TestCancelKillsTheProcessGroup(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "e2e", "default")
	id := startJob(t, s.Client, vc, "sleeper", "file://"+writeApp(t, "sleep.py", sleeper), "", "600")
	waitFor(t, s.Client, vc, id, 2*time.Minute, func(st types.JobRunState) bool { return st == types.JobRunStateRunning })
	pid := runPID(t, s.DataDir, vc, id)

	out, err := s.Client.CancelJobRun(context.Background(), &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)})
	if err != nil || aws.ToString(out.Id) != id || aws.ToString(out.VirtualClusterId) != vc {
		t.Fatalf("CancelJobRun: %v %+v", err, out)
	}
	run, _ := waitFor(t, s.Client, vc, id, time.Minute, terminal)
	if run.State != types.JobRunStateCancelled || run.FinishedAt == nil {
		t.Fatalf("state %s finishedAt %v, want CANCELLED with finishedAt", run.State, run.FinishedAt)
	}
	if err := syscall.Kill(-pid, 0); err == nil {
		t.Errorf("process group %d still exists after CANCELLED", pid)
	}
	// A cancelled run cannot be cancelled again.
	_, err = s.Client.CancelJobRun(context.Background(), &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)})
	var ve *types.ValidationException
	if !asErr(err, &ve) {
		t.Errorf("second cancel: %v, want ValidationException", err)
	}
}

// TestRestartAdoptsRunningJob stops the server while a job runs and starts
// another on the same data: the job is adopted, not restarted, and ends
// COMPLETED.
func TestRestartAdoptsRunningJob(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { killRuns(dir) })
	s := startServer(t, dir)
	vc := createVC(t, s.Client, "e2e", "default")
	id := startJob(t, s.Client, vc, "sleeper", "file://"+writeApp(t, "sleep.py", sleeper), "", "6")
	waitFor(t, s.Client, vc, id, 2*time.Minute, func(st types.JobRunState) bool { return st == types.JobRunStateRunning })
	s.Stop()

	s2 := startServer(t, dir)
	run, _ := waitFor(t, s2.Client, vc, id, 2*time.Minute, terminal)
	if run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED", run.State, aws.ToString(run.StateDetails))
	}
	if n := strings.Count(getLog(t, s2.URL, vc, id, "stdout"), "sleeper started"); n != 1 {
		t.Errorf("driver started %d times, want exactly once", n)
	}
}

// TestRestartFinishesJobThatEndedWhileDown: a job that ends while no server
// runs is recorded with its real outcome by the next server.
func TestRestartFinishesJobThatEndedWhileDown(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { killRuns(dir) })
	s := startServer(t, dir)
	vc := createVC(t, s.Client, "e2e", "default")
	app := writeApp(t, "fail.py", `
from pyspark.sql import SparkSession
import time
spark = SparkSession.builder.getOrCreate()
time.sleep(3)
raise RuntimeError("ended while down")
`)
	id := startJob(t, s.Client, vc, "down", "file://"+app, "")
	waitFor(t, s.Client, vc, id, 2*time.Minute, func(st types.JobRunState) bool { return st == types.JobRunStateRunning })
	before := describeAll(t, s.Client, vc)
	s.Stop()
	waitExit(t, filepath.Join(dir, "runs", vc, id, "exit"))

	s2 := startServer(t, dir)
	if after := describeAll(t, s2.Client, vc); after.cluster != before.cluster || after.runs != before.runs {
		t.Errorf("after restart:\n%+v\nbefore:\n%+v", after, before)
	}
	run, _ := waitFor(t, s2.Client, vc, id, time.Minute, terminal)
	if run.State != types.JobRunStateFailed || !strings.Contains(aws.ToString(run.StateDetails), "ended while down") {
		t.Fatalf("state %s details %q, want FAILED with the error", run.State, aws.ToString(run.StateDetails))
	}
}

func runPID(t *testing.T, dataDir, vc, id string) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dataDir, "runs", vc, id, "pid"))
	if err != nil {
		t.Fatalf("pid file: %v", err)
	}
	var rec struct{ PID int }
	if err := json.Unmarshal(b, &rec); err != nil || rec.PID <= 0 {
		t.Fatalf("no pid in %s: %v", b, err)
	}
	return rec.PID
}

func waitExit(t *testing.T, path string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(path); err == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("%s never appeared", path)
}

func lastN(s string, n int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// snapshot is what the API says of a virtual cluster and its runs.
type snapshot struct{ cluster, runs string }

func describeAll(t *testing.T, c *emrcontainers.Client, vc string) snapshot {
	t.Helper()
	d, err := c.DescribeVirtualCluster(context.Background(), &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(vc)})
	if err != nil {
		t.Fatal(err)
	}
	l, err := c.ListJobRuns(context.Background(), &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc)})
	if err != nil {
		t.Fatal(err)
	}
	cb, _ := json.Marshal(d.VirtualCluster)
	var ids []string
	for _, r := range l.JobRuns {
		ids = append(ids, aws.ToString(r.Id)+"@"+r.CreatedAt.String()+"/"+aws.ToString(r.ExecutionRoleArn))
	}
	return snapshot{cluster: string(cb), runs: strings.Join(ids, ",")}
}
