package metrics_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/metrics"
	"github.com/sparkplane/sparkplane/internal/metrics/metricstest"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
)

// scrape reads h's metrics over HTTP (from loopback) and parses them with
// Prometheus' own text parser.
func scrape(t *testing.T, h http.Handler) map[string]*dto.MetricFamily {
	t.Helper()
	ts := httptest.NewServer(h)
	defer ts.Close()
	resp, err := http.Get(ts.URL + metrics.Path)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /metrics: %s", resp.Status)
	}
	mf, err := metricstest.Parse(resp.Body)
	if err != nil {
		t.Fatalf("parse /metrics: %v", err)
	}
	return mf
}

func TestRequestsAndRuns(t *testing.T) {
	m := metrics.New(metrics.Options{Leases: func() int { return 3 }})
	for range 5 {
		m.ObserveRequest("StartJobRun", 200, 3*time.Millisecond)
	}
	m.ObserveRequest("StartJobRun", 400, time.Millisecond)
	m.ObserveRequest("DescribeJobRun", 0, time.Millisecond) // nothing written: 200
	m.ObserveRequest("GetCostReport", 418, time.Millisecond)

	created := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	to := func(states ...emr.JobRunState) []emr.Transition {
		var steps []emr.Transition
		for _, s := range states {
			steps = append(steps, emr.Transition{To: s})
		}
		return steps
	}
	// One run written a state at a time: 2 s to SUBMITTED, 7 s to RUNNING.
	run := &emr.JobRun{ID: "r", CreatedAt: created, State: emr.JobRunSubmitted}
	m.Transitioned(run, emr.JobRunPending, to(emr.JobRunSubmitted), created.Add(2*time.Second))
	run.State = emr.JobRunRunning
	m.Transitioned(run, emr.JobRunSubmitted, to(emr.JobRunRunning), created.Add(7*time.Second))
	m.Transitioned(run, emr.JobRunRunning, nil, created.Add(8*time.Second)) // no change: nothing
	run.State, run.FailureReason = emr.JobRunFailed, emr.FailureUser
	m.Transitioned(run, emr.JobRunRunning, to(emr.JobRunFailed), created.Add(9*time.Second))
	// One whose SUBMITTED → RUNNING → COMPLETED was written at once, 1 s in.
	fast := &emr.JobRun{ID: "f", CreatedAt: created, State: emr.JobRunSubmitted}
	m.Transitioned(fast, emr.JobRunPending, to(emr.JobRunSubmitted), created.Add(time.Second))
	fast.State = emr.JobRunCompleted
	m.Transitioned(fast, emr.JobRunSubmitted, to(emr.JobRunRunning, emr.JobRunCompleted), created.Add(time.Second))
	// One that failed before its driver ran: SUBMITTED, never RUNNING.
	early := &emr.JobRun{ID: "e", CreatedAt: created, State: emr.JobRunFailed, FailureReason: emr.FailureUser}
	m.Transitioned(early, emr.JobRunPending, to(emr.JobRunSubmitted, emr.JobRunFailed), created.Add(4*time.Second))
	m.ReconcileFailed()
	m.RuntimeFailed("local", "observe")
	m.RuntimeFailed("local", "observe")

	mf := scrape(t, m.Handler(metrics.Access{}))
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{metrics.APIRequests, map[string]string{"operation": "StartJobRun", "code": "200"}, 5},
		{metrics.APIRequests, map[string]string{"operation": "StartJobRun", "code": "400"}, 1},
		{metrics.APIRequests, map[string]string{"operation": "DescribeJobRun", "code": "200"}, 1},
		{metrics.APIRequests, map[string]string{"operation": "GetCostReport", "code": "418"}, 1},
		{metrics.APIRequestDuration, map[string]string{"operation": "StartJobRun"}, 6},
		{metrics.SubmitLatency, nil, 3},
		{metrics.StartLatency, nil, 2},
		{metrics.JobRunsFinished, map[string]string{"state": "FAILED", "failure_reason": "USER_ERROR"}, 2},
		{metrics.JobRunsFinished, map[string]string{"state": "COMPLETED", "failure_reason": ""}, 1},
		{metrics.ReconcileErrors, nil, 1},
		{metrics.RuntimeErrors, map[string]string{"cluster": "local", "operation": "observe"}, 2},
		{metrics.LeasesHeld, nil, 3},
	} {
		if got := metricstest.Value(mf, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	// Latencies are measured from createdAt: 2, 1 and 4 s to SUBMITTED, 7 and 1 s to RUNNING.
	if h := mf[metrics.SubmitLatency].GetMetric()[0].GetHistogram(); h.GetSampleSum() != 7 {
		t.Errorf("submit latency sum %v s, want 7", h.GetSampleSum())
	}
	if h := mf[metrics.StartLatency].GetMetric()[0].GetHistogram(); h.GetSampleSum() != 8 {
		t.Errorf("start latency sum %v s, want 8", h.GetSampleSum())
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if mf[name] == nil {
			t.Errorf("%s missing: the Go and process collectors are registered", name)
		}
	}
}

// A retry's latencies are not observed: they would include the attempts
// before it.
func TestRetriedAttemptHasNoLatency(t *testing.T) {
	m := metrics.New(metrics.Options{})
	created := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	run := &emr.JobRun{ID: "r", CreatedAt: created, State: emr.JobRunRunning,
		RetryPolicyExecution: &emr.RetryPolicyExecution{CurrentAttemptCount: 2}}
	m.Transitioned(run, emr.JobRunSubmitted, []emr.Transition{{To: emr.JobRunRunning}}, created.Add(time.Minute))
	mf := scrape(t, m.Handler(metrics.Access{}))
	if got := metricstest.Value(mf, metrics.StartLatency, nil); got != 0 {
		t.Errorf("start latency count %v, want 0", got)
	}
}

// counter is a RunCounter that counts its reads (pure logic under test:
// the cache).
type counter struct {
	mu     sync.Mutex
	reads  int
	fail   bool
	counts []store.JobRunCount
}

func (c *counter) JobRunCounts(context.Context) ([]store.JobRunCount, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.reads++
	if c.fail {
		return nil, errors.New("store down")
	}
	return c.counts, nil
}

func TestRunCountsAreCachedAndQueueDepthDerived(t *testing.T) {
	c := &counter{counts: []store.JobRunCount{
		{VirtualClusterID: "a", State: emr.JobRunCompleted, Count: 4},
		{VirtualClusterID: "a", State: emr.JobRunPending, Count: 2},
		{VirtualClusterID: "b", State: emr.JobRunRunning, Count: 1},
	}}
	now := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	m := metrics.New(metrics.Options{Runs: c, RunsCacheFor: 5 * time.Second, Now: func() time.Time { return now }})
	h := m.Handler(metrics.Access{})

	mf := scrape(t, h)
	if got := metricstest.Value(mf, metrics.JobRuns, map[string]string{"virtual_cluster_id": "a", "state": "COMPLETED"}); got != 4 {
		t.Errorf("runs of a COMPLETED = %v, want 4", got)
	}
	if got := metricstest.Value(mf, metrics.QueueDepth, map[string]string{"virtual_cluster_id": "a"}); got != 2 {
		t.Errorf("queue of a = %v, want 2", got)
	}
	if got := metricstest.Value(mf, metrics.QueueDepth, map[string]string{"virtual_cluster_id": "b"}); got != 0 {
		t.Errorf("queue of b = %v, want 0", got)
	}
	scrape(t, h)
	if c.reads != 1 {
		t.Errorf("%d reads for 2 scrapes within the cache period, want 1", c.reads)
	}
	now = now.Add(6 * time.Second)
	c.fail = true
	mf = scrape(t, h) // the read fails: the last counts are served, the failure counted
	if c.reads != 2 {
		t.Errorf("%d reads after the cache period, want 2", c.reads)
	}
	if got := metricstest.Value(mf, metrics.JobRuns, map[string]string{"virtual_cluster_id": "b", "state": "RUNNING"}); got != 1 {
		t.Errorf("runs of b RUNNING after a failed read = %v, want the last count 1", got)
	}
	if got := metricstest.Value(mf, metrics.ScrapeErrors, nil); got != 1 {
		t.Errorf("scrape errors = %v, want 1", got)
	}
}

// The timed store passes every call through, times it by operation and
// counts only real failures.
func TestStoreIsTimed(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	m := metrics.New(metrics.Options{})
	st := m.Store(db)
	vc := storetest.MustCreateVirtualCluster(t, st, storetest.NewVirtualCluster("local", "ns", storetest.Epoch))
	var gen emr.JobRunIDs
	storetest.MustCreateJobRun(t, st, storetest.NewJobRun(&gen, vc.ID, "a", storetest.Epoch))
	storetest.MustCreateJobRun(t, st, storetest.NewJobRun(&gen, vc.ID, "b", storetest.Epoch))
	if _, err := st.GetJobRun(t.Context(), vc.ID, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("GetJobRun(nope) = %v, want ErrNotFound", err)
	}
	counts, err := st.JobRunCounts(t.Context())
	if err != nil || len(counts) != 1 || counts[0].Count != 2 {
		t.Fatalf("JobRunCounts() = %v, %v", counts, err)
	}
	mf := scrape(t, m.Handler(metrics.Access{}))
	for op, want := range map[string]float64{"CreateVirtualCluster": 1, "CreateJobRun": 2, "GetJobRun": 1, "JobRunCounts": 1, "UpdateJobRun": 0} {
		if got := metricstest.Value(mf, metrics.StoreDuration, map[string]string{"operation": op}); got != want {
			t.Errorf("store %s observed %v times, want %v", op, got, want)
		}
	}
	if got := metricstest.Value(mf, metrics.StoreErrors, map[string]string{"operation": "GetJobRun"}); got != 0 {
		t.Errorf("store errors of GetJobRun = %v: not found is an answer, not a failure", got)
	}
}

func TestAccess(t *testing.T) {
	m := metrics.New(metrics.Options{})
	get := func(a metrics.Access, remote, host, origin, auth string) int {
		r := httptest.NewRequest(http.MethodGet, "http://"+host+metrics.Path, nil)
		r.RemoteAddr, r.Host = remote, host
		if origin != "" {
			r.Header.Set("Origin", origin)
		}
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		m.Handler(a).ServeHTTP(w, r)
		if w.Code == http.StatusUnauthorized && w.Header().Get("WWW-Authenticate") == "" {
			t.Errorf("401 without WWW-Authenticate")
		}
		return w.Code
	}
	const remote, local = "192.0.2.7:40000", "127.0.0.1:40000"
	token := metrics.Access{Token: "s3cret"}
	for _, c := range []struct {
		name                       string
		access                     metrics.Access
		remote, host, origin, auth string
		want                       int
	}{
		{"loopback", metrics.Access{}, local, "127.0.0.1:8080", "", "", 200},
		{"loopback as localhost", metrics.Access{}, "[::1]:5", "localhost:8080", "", "", 200},
		{"remote without a token", metrics.Access{}, remote, "10.0.0.1:8080", "", "", 403},
		{"remote through a loopback name", metrics.Access{}, remote, "127.0.0.1:8080", "", "", 403},
		{"loopback peer, other host (proxy, rebinding)", metrics.Access{}, local, "metrics.example.com", "", "", 403},
		{"loopback, page of another origin", metrics.Access{}, local, "127.0.0.1:8080", "http://evil.example", "", 403},
		{"remote, server open to all", metrics.Access{Open: true}, remote, "10.0.0.1:8080", "", "", 200},
		{"token: remote with it", token, remote, "10.0.0.1:8080", "", "Bearer s3cret", 200},
		{"token: remote with a wrong one", token, remote, "10.0.0.1:8080", "", "Bearer s3cre", 401},
		{"token: remote without", token, remote, "10.0.0.1:8080", "", "", 401},
		{"token: basic auth is not it", token, remote, "10.0.0.1:8080", "", "Basic czNjcmV0", 401},
		{"token: loopback needs it too", token, local, "127.0.0.1:8080", "", "", 401},
	} {
		if got := get(c.access, c.remote, c.host, c.origin, c.auth); got != c.want {
			t.Errorf("%s: status %d, want %d", c.name, got, c.want)
		}
	}
}
