package bench

import (
	"fmt"
	"math/rand/v2"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// BenchmarkDeepQueue measures a `sparkplane server` process (the binary
// of $SPARKPLANE_BENCH_BIN, else this commit's) with a deep queue: one
// virtual cluster limited to one concurrent run, held by a real Spark run
// that sleeps, and 100,000 runs PENDING behind it. Under a mixed load of
// $SPARKPLANE_BENCH_LOAD (default 5m) it measures how long 1,000 cancels
// take to show CANCELLED; then, with nothing happening, the server's CPU,
// RSS and SQLite WAL, and how many cancels are still CANCEL_PENDING. Run
// it with -benchtime 1x -timeout 60m; it asserts nothing about figures.
func BenchmarkDeepQueue(b *testing.B) {
	bin := serverBinary(b, b.TempDir())
	load := 5 * time.Minute
	if v := os.Getenv("SPARKPLANE_BENCH_LOAD"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			b.Fatalf("SPARKPLANE_BENCH_LOAD: %v", err)
		}
		load = d
	}
	if v := os.Getenv("SPARKPLANE_BENCH_QUEUE"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SPARKPLANE_BENCH_QUEUE=%q: want a number of runs", v)
		}
		queueFill = n
	}
	for _, engine := range []string{"sqlite", "postgres"} {
		b.Run("store="+engine, func(b *testing.B) { benchDeepQueue(b, bin, engine, load) })
	}
}

// queueFill is how many runs wait behind the head run:
// $SPARKPLANE_BENCH_QUEUE, 100,000 by default.
var queueFill = 100_000

const (
	queueClients    = 32
	measuredCancels = 1000
	cancelGiveUp    = 60 * time.Second
	headSleep       = `import time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("deepqueue-head").getOrCreate()
time.sleep(1800)
spark.stop()
`
)

func benchDeepQueue(b *testing.B, bin, engine string, load time.Duration) {
	b.Logf("load average at start: %s", loadavg())
	dir, err := os.MkdirTemp("", "sparkplane-deepqueue-")
	if err != nil {
		b.Fatal(err)
	}
	if err := os.Chmod(dir, 0o711); err != nil { // head.py: readable by the users jobs run as under root
		b.Fatal(err)
	}
	storeURL := ""
	if engine == "postgres" {
		storeURL = pgenv.Start(b).NewDatabase(b)
	}
	entry := filepath.Join(dir, "head.py")
	if err := os.WriteFile(entry, []byte(headSleep), 0o644); err != nil {
		b.Fatal(err)
	}
	p := startProcess(b, bin, dir, filepath.Join(dir, "data"), storeURL)
	q := &deepQueue{client: newClient(p.url), entry: "file://" + entry}
	b.Cleanup(func() {
		if q.head != "" {
			_ = q.cancel(q.head, "CancelJobRun(head)")
			q.waitState(q.head, 30*time.Second, "CANCELLED")
		}
		p.stop()
		p.killRun(q.vc, q.head)
		if b.Failed() || os.Getenv("SPARKPLANE_BENCH_KEEP") != "" {
			b.Logf("server log: %s (folder kept)", p.logPath)
		} else {
			os.RemoveAll(dir)
		}
	})
	q.setUp(b, filepath.Join(p.dataDir, "runs"))

	// Fill.
	var next atomic.Int64
	t0 := time.Now()
	parallel(queueClients, func() bool {
		if next.Add(1) > int64(queueFill) {
			return false
		}
		_ = q.start()
		return true
	})
	fillTime := time.Since(t0)
	filled := len(q.known)
	fillErrs, nFillErrs := q.takeErrors()
	if filled < queueFill/2 {
		b.Fatalf("fill: %d of %d runs started (%v); server log: %s", filled, queueFill, fillErrs, p.logPath)
	}

	// Load, and the measured cancels alongside.
	measured := make(chan cancelResult, 1)
	go func() { measured <- q.measureCancels(measuredCancels, load/measuredCancels) }()
	var reqs atomic.Int64
	deadline := time.Now().Add(load)
	parallel(queueClients, func() bool {
		if time.Now().After(deadline) {
			return false
		}
		reqs.Add(1)
		switch r := rand.IntN(100); {
		case r < 40:
			_ = q.start()
		case r < 80:
			_, _ = q.state(q.randomKnown(), "DescribeJobRun")
		case r < 95:
			_ = q.call("ListJobRuns", "GET", q.jobRuns()+"?maxResults=50", nil, nil)
		default:
			if id, ok := q.takePending(); ok {
				_ = q.cancel(id, "CancelJobRun")
			}
		}
		return true
	})
	loadEnd := time.Now()
	cr := <-measured // at most cancelGiveUp after the last one
	loadErrs, nLoadErrs := q.takeErrors()

	// Idle.
	time.Sleep(time.Until(loadEnd.Add(30 * time.Second)))
	sinceLoad := time.Since(loadEnd)
	cancelPending := q.countState("CANCEL_PENDING")
	c0, err := p.cpuTicks()
	if err != nil {
		b.Fatal(err)
	}
	time.Sleep(30 * time.Second)
	c1, err := p.cpuTicks()
	if err != nil {
		b.Fatal(err)
	}
	idleCPU := float64(c1-c0) / 100 / 30 * 100 // ticks of 1/100 s over 30 s, in % of a core
	rss, err := p.rssMB()
	if err != nil {
		b.Fatal(err)
	}

	// Report.
	rate := float64(reqs.Load()) / load.Seconds()
	b.ReportMetric(float64(filled)/fillTime.Seconds(), "fill-runs/s")
	b.ReportMetric(rate, "load-req/s")
	b.ReportMetric(float64(nLoadErrs), "load-errors")
	b.ReportMetric(cr.pct(50), "cancel-p50-ms")
	b.ReportMetric(cr.pct(99), "cancel-p99-ms")
	b.ReportMetric(cr.pct(100), "cancel-max-ms")
	b.ReportMetric(float64(cr.undone), "cancel-undone")
	b.ReportMetric(float64(cancelPending), "cancel-pending")
	b.ReportMetric(idleCPU, "idle-cpu-%")
	b.ReportMetric(rss, "rss-MB")
	wal := "-"
	if engine == "sqlite" {
		var mb float64
		if fi, err := os.Stat(filepath.Join(p.dataDir, "sparkplane.db-wal")); err == nil {
			mb = float64(fi.Size()) / (1 << 20)
		}
		b.ReportMetric(mb, "wal-MB")
		wal = fmt.Sprintf("%.1f MB", mb)
	}
	b.ReportMetric(0, "ns/op")
	b.Logf(`store=%s, server %s
  fill:   %d runs in %v = %.0f runs/s; errors %d %v
  load:   %v, %d requests = %.0f req/s; errors %d %v
  cancel: %d measured: p50 %.0f ms, p99 %.0f ms, max %.0f ms; %d not CANCELLED within %v (%d refused)
  idle:   %d CANCEL_PENDING %v after the load; CPU %.1f %% of a core over 30 s; RSS %.0f MB; WAL %s
  load average at end: %s`,
		engine, bin, filled, fillTime.Round(time.Millisecond), float64(filled)/fillTime.Seconds(), nFillErrs, fillErrs,
		load, reqs.Load(), rate, nLoadErrs, loadErrs,
		measuredCancels, cr.pct(50), cr.pct(99), cr.pct(100), cr.undone, cancelGiveUp, cr.refused,
		cancelPending, sinceLoad.Round(time.Second), idleCPU, rss, wal, loadavg())
}

// deepQueue is the virtual cluster under test and the runs started on it.
type deepQueue struct {
	*client
	entry    string // the head run's entry point, which every run uses
	vc, head string
	mu       sync.Mutex
	known    []string // every run started
	pending  []string // runs not cancelled yet (all but the head are PENDING)
	tokens   atomic.Int64
}

func (q *deepQueue) jobRuns() string { return "/virtualclusters/" + q.vc + "/jobruns" }

// setUp creates the virtual cluster and starts the head run, which holds
// its only slot; it returns once the head run is RUNNING.
func (q *deepQueue) setUp(b *testing.B, runsDir string) {
	var vc struct{ ID string }
	err := q.call("CreateVirtualCluster", "POST", "/virtualclusters", map[string]any{
		"name": "deepqueue", "clientToken": "deepqueue",
		"containerProvider":      map[string]any{"type": "EKS", "id": "local", "info": map[string]any{"eksInfo": map[string]any{"namespace": "deepqueue"}}},
		"schedulerConfiguration": map[string]any{"maxConcurrentJobRuns": 1},
	}, &vc)
	if err != nil {
		b.Fatal(err)
	}
	q.vc = vc.ID
	if err := q.start(); err != nil {
		b.Fatal(err)
	}
	q.head, q.known, q.pending = q.known[0], nil, nil
	if s := q.waitState(q.head, 5*time.Minute, "RUNNING", "FAILED", "COMPLETED", "CANCELLED"); s != "RUNNING" {
		b.Fatalf("head run %s is %q, not RUNNING (see %s)", q.head, s, filepath.Join(runsDir, q.vc, q.head, "stderr"))
	}
}

func (q *deepQueue) start() error {
	var out struct{ ID string }
	err := q.call("StartJobRun", "POST", q.jobRuns(), map[string]any{
		"name": "deepqueue", "clientToken": fmt.Sprintf("t-%d", q.tokens.Add(1)),
		"executionRoleArn": "arn:aws:iam::123456789012:role/emr-job", "releaseLabel": "emr-7.2.0-latest",
		"jobDriver": map[string]any{"sparkSubmitJobDriver": map[string]any{"entryPoint": q.entry,
			"sparkSubmitParameters": "--conf spark.executor.instances=1 --conf spark.executor.cores=1 --conf spark.driver.memory=512m"}},
	}, &out)
	if err == nil {
		q.mu.Lock()
		q.known = append(q.known, out.ID)
		q.pending = append(q.pending, out.ID)
		q.mu.Unlock()
	}
	return err
}

func (q *deepQueue) randomKnown() string {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.known[rand.IntN(len(q.known))]
}

// takePending removes a random run from those not cancelled yet.
func (q *deepQueue) takePending() (string, bool) {
	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.pending) == 0 {
		return "", false
	}
	i := rand.IntN(len(q.pending))
	id := q.pending[i]
	q.pending[i] = q.pending[len(q.pending)-1]
	q.pending = q.pending[:len(q.pending)-1]
	return id, true
}

func (q *deepQueue) cancel(id, op string) error {
	return q.call(op, "DELETE", q.jobRuns()+"/"+id, nil, nil)
}

func (q *deepQueue) state(id, op string) (string, error) {
	var out struct{ JobRun struct{ State string } }
	err := q.call(op, "GET", q.jobRuns()+"/"+id, nil, &out)
	return out.JobRun.State, err
}

// waitState polls a run every 20 ms until it is in one of states, for at
// most d; it returns the last state seen.
func (q *deepQueue) waitState(id string, d time.Duration, states ...string) string {
	var s string
	for deadline := time.Now().Add(d); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		s, _ = q.state(id, "DescribeJobRun(poll)")
		if slices.Contains(states, s) {
			break
		}
	}
	return s
}

// countState counts a virtual cluster's runs in state, page by page, for
// at most 2 minutes; -1 if it could not.
func (q *deepQueue) countState(state string) int {
	n, token := 0, ""
	for deadline := time.Now().Add(2 * time.Minute); time.Now().Before(deadline); {
		var page struct {
			JobRuns   []struct{ ID string }
			NextToken string
		}
		path := q.jobRuns() + "?maxResults=100&states=" + state
		if token != "" {
			path += "&nextToken=" + url.QueryEscape(token)
		}
		if err := q.call("ListJobRuns(count)", "GET", path, nil, &page); err != nil {
			return -1
		}
		n += len(page.JobRuns)
		if token = page.NextToken; token == "" {
			return n
		}
	}
	return -1
}

type cancelResult struct {
	took            []time.Duration // sorted, of those that reached CANCELLED
	undone, refused int             // not CANCELLED within cancelGiveUp; of which CancelJobRun refused
}

// pct is the p-th percentile of took in ms (100: the maximum), -1 if none.
func (r cancelResult) pct(p int) float64 {
	if len(r.took) == 0 {
		return -1
	}
	return ms(r.took[min(len(r.took)*p/100, len(r.took)-1)])
}

// measureCancels cancels n PENDING runs, one every `every`, and times each
// from CancelJobRun until DescribeJobRun shows CANCELLED.
func (q *deepQueue) measureCancels(n int, every time.Duration) cancelResult {
	var (
		mu  sync.Mutex
		r   cancelResult
		wg  sync.WaitGroup
		tkr = time.NewTicker(every)
	)
	defer tkr.Stop()
	for range n {
		<-tkr.C
		id, ok := q.takePending()
		if !ok {
			r.undone++
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			t0 := time.Now()
			err := q.cancel(id, "CancelJobRun(measured)")
			done := err == nil && q.waitState(id, cancelGiveUp-time.Since(t0), "CANCELLED") == "CANCELLED"
			took := time.Since(t0)
			mu.Lock()
			defer mu.Unlock()
			switch {
			case done:
				r.took = append(r.took, took)
			case err != nil:
				r.undone++
				r.refused++
			default:
				r.undone++
			}
		}()
	}
	wg.Wait()
	slices.Sort(r.took)
	return r
}

// parallel runs f in n goroutines, each until f returns false.
func parallel(n int, f func() bool) {
	var wg sync.WaitGroup
	for range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f() {
			}
		}()
	}
	wg.Wait()
}
