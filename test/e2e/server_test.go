package e2e

import (
	"context"
	"encoding/json"
	"github.com/sparkplane/sparkplane/internal/testenv"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
)

// server is a sparkplane server running in the test process.
type server struct {
	URL     string
	DataDir string
	Client  *emrcontainers.Client
	stop    func()
}

// startServer runs a server on a free port with its data in dataDir (a new
// temporary folder when empty). It stops when the test ends, or earlier
// through Stop.
func startServer(t *testing.T, dataDir string) *server {
	t.Helper()
	return startServerWith(t, dataDir, nil)
}

// startServerWith is startServer with the configuration changed by edit
// (nil: none).
func startServerWith(t *testing.T, dataDir string, edit func(*config.Config)) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
		t.Cleanup(func() { killRuns(dataDir) })
	}
	cfg := config.Default()
	cfg.Addr = "127.0.0.1:0"
	cfg.DataDir = dataDir
	cfg.Local.WorkDir = jobsDir() // as root, jobs' working folders; not under a test's 0700 temporary folder
	if edit != nil {
		edit(&cfg)
	}
	logw := &testLogWriter{t: t}
	log := slog.New(slog.NewTextHandler(logw, &slog.HandlerOptions{Level: slog.LevelInfo}))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := a.Run(ctx); err != nil {
			t.Errorf("server: %v", err)
		}
	}()
	s := &server{URL: a.URL(), DataDir: dataDir, Client: newClient(a.URL())}
	var stopped bool
	s.stop = func() {
		if stopped {
			return
		}
		stopped = true
		cancel()
		<-done
		logw.close()
	}
	t.Cleanup(s.stop)
	return s
}

// Stop shuts the server down; runs in flight go on without it.
func (s *server) Stop() { s.stop() }

func newClient(url string) *emrcontainers.Client {
	return emrcontainers.New(emrcontainers.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(url),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

// testLogWriter sends server logs to t.Log until the server stops.
type testLogWriter struct {
	t      *testing.T
	closed atomic.Bool
}

func (w *testLogWriter) Write(p []byte) (int, error) {
	if !w.closed.Load() {
		w.t.Log(strings.TrimRight(string(p), "\n"))
	}
	return len(p), nil
}

func (w *testLogWriter) close() { w.closed.Store(true) }

// killRuns ends every spark-submit process group a test left behind.
func killRuns(dataDir string) {
	pids, _ := filepath.Glob(filepath.Join(dataDir, "runs", "*", "*", "pid"))
	for _, p := range pids {
		var rec struct{ PID int }
		if b, err := os.ReadFile(p); err == nil && json.Unmarshal(b, &rec) == nil && rec.PID > 0 {
			_ = syscall.Kill(-rec.PID, syscall.SIGKILL)
		}
	}
}

// createVC creates a virtual cluster on the local runtime in namespace ns.
func createVC(t *testing.T, c *emrcontainers.Client, name, ns string) string {
	t.Helper()
	out, err := c.CreateVirtualCluster(context.Background(), &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String(name),
		ContainerProvider: &types.ContainerProvider{
			Type: types.ContainerProviderTypeEks,
			Id:   aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(ns)}},
		},
	})
	if err != nil {
		t.Fatalf("CreateVirtualCluster: %v", err)
	}
	return aws.ToString(out.Id)
}

// startJob submits entryPoint with sparkSubmitParameters params.
func startJob(t *testing.T, c *emrcontainers.Client, vcID, name, entryPoint, params string, args ...string) string {
	t.Helper()
	out, err := c.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vcID),
		Name:             aws.String(name),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
		ReleaseLabel:     aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(entryPoint),
			EntryPointArguments:   args,
			SparkSubmitParameters: aws.String(params),
		}},
	})
	if err != nil {
		t.Fatalf("StartJobRun: %v", err)
	}
	return aws.ToString(out.Id)
}

// waitFor polls the run until done(state) holds and returns the run with
// every state it was seen in. It fails the test after timeout.
func waitFor(t *testing.T, c *emrcontainers.Client, vcID, id string, timeout time.Duration, done func(types.JobRunState) bool) (*types.JobRun, []types.JobRunState) {
	t.Helper()
	var seen []types.JobRunState
	deadline := time.Now().Add(timeout)
	for {
		out, err := c.DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcID), Id: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeJobRun: %v", err)
		}
		run := out.JobRun
		if len(seen) == 0 || seen[len(seen)-1] != run.State {
			seen = append(seen, run.State)
		}
		if done(run.State) {
			return run, seen
		}
		if time.Now().After(deadline) {
			t.Fatalf("job run %s still %s after %s (states seen: %v)", id, run.State, timeout, seen)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func terminal(s types.JobRunState) bool {
	return s == types.JobRunStateCompleted || s == types.JobRunStateFailed || s == types.JobRunStateCancelled
}

// getLog reads one log stream of a run from sparkplane's own endpoint.
func getLog(t *testing.T, url, vcID, id, stream string) string {
	t.Helper()
	resp, err := http.Get(url + "/sparkplane/v1/virtualclusters/" + vcID + "/jobruns/" + id + "/logs/" + stream)
	if err != nil {
		t.Fatalf("get log: %v", err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("get log: %s: %s", resp.Status, b)
	}
	return string(b)
}

// writeApp writes a PySpark application into a temporary folder that the
// users jobs run as can read (see testenv.SharedDir).
func writeApp(t *testing.T, name, source string) string {
	t.Helper()
	p := filepath.Join(testenv.SharedDir(t), name)
	if err := os.WriteFile(p, []byte(source), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

const piEntryPoint = "local:///usr/lib/spark/examples/src/main/python/pi.py"

// piParams are the sparkSubmitParameters of the EMR on EKS tutorials.
const piParams = "--conf spark.executor.instances=2 --conf spark.executor.memory=2G --conf spark.executor.cores=1 --conf spark.driver.cores=1"
