package controller_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/controller"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// fakeRuntime reports whatever phase a test sets; it stands in for a
// cluster in these unit tests of the state mapping (the e2e tests use the
// real local runtime).
type fakeRuntime struct {
	mu        sync.Mutex
	obs       map[string]runtime.Observation
	submitErr error
	submits   map[string]int
	stops     map[string]int
	events    chan string
}

func newFake() *fakeRuntime {
	return &fakeRuntime{obs: map[string]runtime.Observation{}, submits: map[string]int{}, stops: map[string]int{}, events: make(chan string, 16)}
}

// attemptKey names one attempt of a run, as runtimes name its objects.
func attemptKey(run *emr.JobRun) string { return fmt.Sprintf("%s#%d", run.ID, run.Attempt()) }

func (f *fakeRuntime) Submit(_ context.Context, _ *emr.VirtualCluster, run *emr.JobRun) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.submits[run.ID]++
	if f.submitErr != nil {
		return f.submitErr
	}
	if _, ok := f.obs[attemptKey(run)]; !ok {
		f.obs[attemptKey(run)] = runtime.Observation{Phase: runtime.PhaseSubmitted}
	}
	return nil
}

func (f *fakeRuntime) Observe(_ context.Context, _ *emr.VirtualCluster, run *emr.JobRun) (runtime.Observation, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.obs[attemptKey(run)], nil
}

func (f *fakeRuntime) Stop(_ context.Context, _ *emr.VirtualCluster, run *emr.JobRun) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.stops[run.ID]++
	delete(f.obs, attemptKey(run))
	return true, nil
}

func (f *fakeRuntime) Events() <-chan string { return f.events }

// count reads a call counter under the lock.
func (f *fakeRuntime) count(m map[string]int, id string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return m[id]
}

func (f *fakeRuntime) set(run *emr.JobRun, o runtime.Observation) {
	f.mu.Lock()
	f.obs[attemptKey(run)] = o
	f.mu.Unlock()
	f.events <- runtime.Key(run.VirtualClusterID, run.ID)
}

// harness runs a controller over a real SQLite store and a fake runtime.
type harness struct {
	st  *sqlite.DB
	rt  *fakeRuntime
	ctl *controller.Controller
	vc  *emr.VirtualCluster
	ids emr.JobRunIDs
	now time.Time
}

func newHarness(t *testing.T, cluster string) *harness {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	st, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	h := &harness{st: st, rt: newFake(), now: time.Now()}
	h.vc = &emr.VirtualCluster{ID: emr.NewResourceID(), Name: "vc", State: emr.VirtualClusterRunning, CreatedAt: h.now,
		ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: cluster, Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "ns"}}}}
	if _, err := st.CreateVirtualCluster(ctx, h.vc, store.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	h.ctl = controller.New(st, map[string]runtime.Runtime{"c1": h.rt}, controller.Options{
		Resync: 50 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	done := make(chan struct{})
	go func() { defer close(done); _ = h.ctl.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done; st.Close() })
	return h
}

func (h *harness) start(t *testing.T, overrides *emr.ConfigurationOverrides) *emr.JobRun {
	t.Helper()
	run := &emr.JobRun{ID: h.ids.Next(h.now), VirtualClusterID: h.vc.ID, State: emr.JobRunPending, CreatedAt: h.now,
		ConfigurationOverrides: overrides}
	if _, err := h.st.CreateJobRun(context.Background(), run, store.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	h.ctl.Enqueue(run.VirtualClusterID, run.ID)
	return run
}

// waitState waits until the stored run is in state want.
func (h *harness) waitState(t *testing.T, run *emr.JobRun, want emr.JobRunState) *emr.JobRun {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := h.st.GetJobRun(context.Background(), run.VirtualClusterID, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("run is %s (%s), want %s", got.State, got.StateDetails, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestObservationsDriveTheRun(t *testing.T) {
	h := newHarness(t, "c1")
	run := h.start(t, nil)
	h.waitState(t, run, emr.JobRunSubmitted)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseRunning})
	h.waitState(t, run, emr.JobRunRunning)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseSucceeded})
	got := h.waitState(t, run, emr.JobRunCompleted)
	if got.FinishedAt == nil || got.FailureReason != "" {
		t.Errorf("completed run: finishedAt %v reason %q", got.FinishedAt, got.FailureReason)
	}
	if n := h.rt.count(h.rt.submits, run.ID); n != 1 {
		t.Errorf("submitted %d times", n)
	}
}

func TestShortRunCompletesWithoutBeingSeenRunning(t *testing.T) {
	h := newHarness(t, "c1")
	run := h.start(t, nil)
	h.waitState(t, run, emr.JobRunSubmitted)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseSucceeded})
	h.waitState(t, run, emr.JobRunCompleted)
}

func TestFailureKeepsReasonAndDetails(t *testing.T) {
	h := newHarness(t, "c1")
	run := h.start(t, nil)
	h.waitState(t, run, emr.JobRunSubmitted)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseFailed, Details: "OOMKilled"})
	got := h.waitState(t, run, emr.JobRunFailed)
	if got.FailureReason != emr.FailureUser || got.StateDetails != "OOMKilled" {
		t.Errorf("reason %s details %q", got.FailureReason, got.StateDetails)
	}
}

func TestSubmitErrorFailsTheRunOnce(t *testing.T) {
	h := newHarness(t, "c1")
	h.rt.submitErr = &runtime.SubmitError{Reason: emr.FailureValidation, Message: "no such entry point"}
	run := h.start(t, nil)
	got := h.waitState(t, run, emr.JobRunFailed)
	if got.FailureReason != emr.FailureValidation || got.StateDetails != "no such entry point" {
		t.Errorf("reason %s details %q", got.FailureReason, got.StateDetails)
	}
}

func TestVanishedRunFails(t *testing.T) {
	h := newHarness(t, "c1")
	run := h.start(t, nil)
	h.waitState(t, run, emr.JobRunSubmitted)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseUnknown})
	if got := h.waitState(t, run, emr.JobRunFailed); got.FailureReason != emr.FailureInternal {
		t.Errorf("reason %s", got.FailureReason)
	}
}

func TestCancelStopsTheRun(t *testing.T) {
	h := newHarness(t, "c1")
	run := h.start(t, nil)
	h.waitState(t, run, emr.JobRunSubmitted)
	if _, err := h.st.RequestJobRunCancel(context.Background(), run.VirtualClusterID, run.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Not enqueued: the controller finds recorded cancels by itself (as
	// those recorded by another server).
	h.waitState(t, run, emr.JobRunCancelled)
	if h.rt.count(h.rt.stops, run.ID) == 0 {
		t.Error("runtime was never told to stop the run")
	}
}

func TestJobStartTimeout(t *testing.T) {
	h := newHarness(t, "c1")
	h.now = time.Now().Add(-2 * time.Second)
	run := h.start(t, &emr.ConfigurationOverrides{ApplicationConfiguration: []emr.Configuration{
		{Classification: "emr-containers-defaults", Properties: map[string]string{"job-start-timeout": "1"}}}})
	got := h.waitState(t, run, emr.JobRunFailed)
	if got.FailureReason != emr.FailureUser || h.rt.count(h.rt.stops, run.ID) == 0 {
		t.Errorf("reason %s, stops %d: %s", got.FailureReason, h.rt.count(h.rt.stops, run.ID), got.StateDetails)
	}
}

func TestUnregisteredClusterFailsRun(t *testing.T) {
	h := newHarness(t, "gone")
	run := h.start(t, nil)
	if got := h.waitState(t, run, emr.JobRunFailed); got.FailureReason != emr.FailureClusterUnavailable {
		t.Errorf("reason %s", got.FailureReason)
	}
}

func TestStartTimeout(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  []emr.Configuration
		want time.Duration
	}{
		{"default", nil, emr.DefaultJobStartTimeout},
		{"emr-containers-defaults", []emr.Configuration{{Classification: "emr-containers-defaults", Properties: map[string]string{"job-start-timeout": "1800"}}}, 30 * time.Minute},
		{"spark-defaults", []emr.Configuration{{Classification: "spark-defaults", Properties: map[string]string{"job-start-timeout": "60"}}}, time.Minute},
		{"not a number", []emr.Configuration{{Classification: "emr-containers-defaults", Properties: map[string]string{"job-start-timeout": "soon"}}}, emr.DefaultJobStartTimeout},
	} {
		t.Run(tc.name, func(t *testing.T) {
			run := &emr.JobRun{ConfigurationOverrides: &emr.ConfigurationOverrides{ApplicationConfiguration: tc.cfg}}
			if got := emr.StartTimeout(run); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
}

func TestRetryPolicyStartsTheNextAttempt(t *testing.T) {
	h := newHarness(t, "c1")
	run := h.startWith(t, &emr.RetryPolicyConfiguration{MaxAttempts: 2})
	h.waitState(t, run, emr.JobRunSubmitted)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseRunning})
	h.waitState(t, run, emr.JobRunRunning)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseFailed, Details: "driver exited with code 1"})

	second := h.waitAttempt(t, run, 2)
	if second.State != emr.JobRunSubmitted || !strings.Contains(second.StateDetails, "attempt 1 failed: driver exited with code 1") {
		t.Errorf("after the first failure: %s %q", second.State, second.StateDetails)
	}
	h.rt.set(second, runtime.Observation{Phase: runtime.PhaseFailed, Details: "again"})
	got := h.waitState(t, run, emr.JobRunFailed)
	if got.Attempt() != 2 || got.StateDetails != "again" || h.rt.count(h.rt.submits, run.ID) != 2 {
		t.Errorf("after the last attempt: attempt %d details %q submits %d", got.Attempt(), got.StateDetails, h.rt.count(h.rt.submits, run.ID))
	}
}

func TestRetryPolicySecondAttemptCompletes(t *testing.T) {
	h := newHarness(t, "c1")
	run := h.startWith(t, &emr.RetryPolicyConfiguration{MaxAttempts: 3})
	h.waitState(t, run, emr.JobRunSubmitted)
	h.rt.set(run, runtime.Observation{Phase: runtime.PhaseFailed, Details: "spark-submit failed"})
	second := h.waitAttempt(t, run, 2)
	h.rt.set(second, runtime.Observation{Phase: runtime.PhaseSucceeded})
	if got := h.waitState(t, run, emr.JobRunCompleted); got.Attempt() != 2 {
		t.Errorf("completed on attempt %d", got.Attempt())
	}
}

func (h *harness) startWith(t *testing.T, p *emr.RetryPolicyConfiguration) *emr.JobRun {
	t.Helper()
	run := &emr.JobRun{ID: h.ids.Next(h.now), VirtualClusterID: h.vc.ID, State: emr.JobRunPending, CreatedAt: h.now,
		RetryPolicyConfiguration: p, RetryPolicyExecution: &emr.RetryPolicyExecution{CurrentAttemptCount: 1}}
	if _, err := h.st.CreateJobRun(context.Background(), run, store.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	h.ctl.Enqueue(run.VirtualClusterID, run.ID)
	return run
}

func (h *harness) waitAttempt(t *testing.T, run *emr.JobRun, n int) *emr.JobRun {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		got, err := h.st.GetJobRun(context.Background(), run.VirtualClusterID, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.Attempt() == n {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("run on attempt %d (%s), want %d", got.Attempt(), got.State, n)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestMaxConcurrentJobRunsQueuesInOrder(t *testing.T) {
	h := newHarness(t, "c1")
	one := 1
	if _, err := h.st.SetVirtualClusterScheduler(context.Background(), h.vc.ID, &emr.SchedulerConfiguration{MaxConcurrentJobRuns: &one}); err != nil {
		t.Fatal(err)
	}
	var runs []*emr.JobRun
	for i := range 3 {
		h.now = time.Now().Add(time.Duration(i) * time.Millisecond)
		runs = append(runs, h.start(t, nil))
	}
	h.waitState(t, runs[0], emr.JobRunSubmitted)
	time.Sleep(200 * time.Millisecond) // several resyncs: the others must keep waiting
	for _, r := range runs[1:] {
		if got := h.waitState(t, r, emr.JobRunPending); h.rt.count(h.rt.submits, r.ID) != 0 {
			t.Fatalf("run %s submitted while the only slot is taken (%s)", r.ID, got.State)
		}
	}
	h.rt.set(runs[0], runtime.Observation{Phase: runtime.PhaseSucceeded})
	h.waitState(t, runs[0], emr.JobRunCompleted)
	h.waitState(t, runs[1], emr.JobRunSubmitted) // the oldest waiting run goes next
	if h.rt.count(h.rt.submits, runs[2].ID) != 0 {
		t.Fatal("the newest run jumped the queue")
	}
	h.rt.set(runs[1], runtime.Observation{Phase: runtime.PhaseFailed, Details: "x"})
	h.waitState(t, runs[2], emr.JobRunSubmitted)
}
