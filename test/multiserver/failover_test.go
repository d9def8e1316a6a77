package multiserver

import (
	"fmt"
	"github.com/sparkplane/sparkplane/internal/testenv"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// app is the PySpark application of the failover test: it appends a line
// to a file shared by every run as soon as its driver starts (so a run
// submitted twice would leave two lines), runs a small job, then sleeps
// long enough to outlive the server that started it and its lease.
const app = `import os, sys, time
from pyspark.sql import SparkSession
tag, starts, sleep = sys.argv[1], sys.argv[2], float(sys.argv[3])
with open(starts, "a") as f:
    f.write("%s %d\n" % (tag, os.getpid()))
spark = SparkSession.builder.getOrCreate()
n = spark.sparkContext.parallelize(range(1000), 2).count()
time.sleep(sleep)
print("failover-run %s counted %d" % (tag, n))
spark.stop()
`

// runSleep is how long each run sleeps once its driver is up: longer than
// a lease (15 s) plus a resync (10 s), so the survivor takes over runs
// that still run.
const runSleep = 40 * time.Second

// Two servers on one PostgreSQL database and one data dir; one is killed
// with SIGKILL while it drives Spark runs. Every run still completes, each
// spark-submit ran exactly once, and the survivor finished the dead
// server's runs by adopting them, not by submitting them again.
func TestFailover(t *testing.T) {
	dbURL := pgenv.Start(t).NewDatabase(t)
	dataDir, logDir := t.TempDir(), t.TempDir()
	t.Cleanup(func() { killRuns(dataDir) })
	appPath := filepath.Join(testenv.SharedDir(t), "failover.py")
	starts := filepath.Join(testenv.SharedDir(t), "starts") // the jobs write it
	if err := os.WriteFile(appPath, []byte(app), 0o644); err != nil {
		t.Fatal(err)
	}

	a := startServer(t, "a", dbURL, dataDir, logDir)
	b := startServer(t, "b", dbURL, dataDir, logDir)
	if a.ServerID(t) == b.ServerID(t) {
		t.Fatalf("both servers are %s", a.ServerID(t))
	}
	ctx := contextFor(t, 10*time.Minute)
	vc, err := a.Client.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String("failover"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("failover")}}},
	})
	if err != nil {
		t.Fatalf("CreateVirtualCluster: %v", err)
	}
	vcID := aws.ToString(vc.Id)

	// Three runs through a's API (a drives them: its API queues them on its
	// controller at once) and one through b's.
	var runs []string
	tags := map[string]string{}
	for i, s := range []*server{a, a, a, b} {
		tag := fmt.Sprint("run-", i)
		out, err := s.Client.StartJobRun(ctx, &emrcontainers.StartJobRunInput{
			VirtualClusterId: aws.String(vcID),
			Name:             aws.String(tag),
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
			ReleaseLabel:     aws.String("emr-7.2.0-latest"),
			JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
				EntryPoint:            aws.String(appPath),
				EntryPointArguments:   []string{tag, starts, fmt.Sprint(runSleep.Seconds())},
				SparkSubmitParameters: aws.String("--conf spark.executor.instances=1 --conf spark.executor.cores=1 --conf spark.driver.memory=512m --conf spark.ui.enabled=false"),
			}},
		})
		if err != nil {
			t.Fatalf("StartJobRun through %s: %v", s.name, err)
		}
		runs = append(runs, aws.ToString(out.Id))
		tags[aws.ToString(out.Id)] = tag
	}

	// Once every run's driver is up, kill a while it drives some of them.
	states := waitRuns(t, b, vcID, runs, 5*time.Minute, func(s types.JobRunState) bool {
		return s == types.JobRunStateRunning || terminal(s)
	})
	var fromA []string // runs a submitted that were running when it died
	aLog := a.Log(t)
	for _, id := range runs {
		key := runtime.Key(vcID, id)
		if len(logLines(aLog, "spark-submit started", key)) > 0 && states[id] == types.JobRunStateRunning {
			fromA = append(fromA, id)
		}
	}
	if len(fromA) == 0 {
		t.Fatalf("a drove no running run when it was to be killed (states %v); the test proves nothing:\n%s", states, aLog)
	}
	a.Kill(t)
	t.Logf("killed a while it drove %v", fromA)

	final := waitRuns(t, b, vcID, runs, 5*time.Minute, terminal)
	aLog, bLog := a.Log(t), b.Log(t)
	for _, id := range runs {
		if final[id] != types.JobRunStateCompleted {
			out, _ := b.Client.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcID), Id: aws.String(id)})
			t.Errorf("run %s (%s) ended %s: %s", id, tags[id], final[id], aws.ToString(out.JobRun.StateDetails))
		}
		key := runtime.Key(vcID, id)
		if n := len(logLines(aLog, "spark-submit started", key)) + len(logLines(bLog, "spark-submit started", key)); n != 1 {
			t.Errorf("run %s (%s): spark-submit started %d times by the two servers, want once", id, tags[id], n)
		}
	}
	// The driver of each run started once: one line per run in the file
	// they all append to.
	b2, err := os.ReadFile(starts)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(string(b2)), "\n") {
		tag, _, _ := strings.Cut(line, " ")
		got = append(got, tag)
	}
	slices.Sort(got)
	want := []string{"run-0", "run-1", "run-2", "run-3"}
	if !slices.Equal(got, want) {
		t.Errorf("drivers started: %v, want each of %v once", got, want)
	}
	// b finished a's runs: it adopted the running processes and recorded
	// how they ended.
	for _, id := range fromA {
		key := runtime.Key(vcID, id)
		if len(logLines(bLog, "re-adopted a running spark-submit", key)) == 0 {
			t.Errorf("run %s (%s): b never adopted a's spark-submit", id, tags[id])
		}
		if len(logLines(bLog, "job run state changed", key)) == 0 {
			t.Errorf("run %s (%s): b recorded none of its state changes", id, tags[id])
		}
	}
	if t.Failed() {
		t.Logf("server a:\n%s\nserver b:\n%s", aLog, bLog)
	}
}

// waitRuns polls the runs through s until done holds for each, and returns
// their states.
func waitRuns(t *testing.T, s *server, vcID string, ids []string, timeout time.Duration, done func(types.JobRunState) bool) map[string]types.JobRunState {
	t.Helper()
	ctx := contextFor(t, timeout+time.Minute)
	deadline := time.Now().Add(timeout)
	states := map[string]types.JobRunState{}
	for {
		all := true
		for _, id := range ids {
			out, err := s.Client.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcID), Id: aws.String(id)})
			if err != nil {
				t.Fatalf("DescribeJobRun(%s): %v", id, err)
			}
			states[id] = out.JobRun.State
			all = all && done(out.JobRun.State)
		}
		if all {
			return states
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %s the runs are %v", timeout, states)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func terminal(s types.JobRunState) bool {
	return s == types.JobRunStateCompleted || s == types.JobRunStateFailed || s == types.JobRunStateCancelled
}
