package controller_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/controller"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

var quiet = slog.New(slog.NewTextHandler(io.Discard, nil))

func openStore(t *testing.T) *sqlite.DB {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func newCluster(t *testing.T, st store.Store, provider string) *emr.VirtualCluster {
	t.Helper()
	vc := &emr.VirtualCluster{ID: emr.NewResourceID(), Name: "vc", State: emr.VirtualClusterRunning, CreatedAt: time.Now(),
		ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: provider, Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "ns"}}}}
	if _, err := st.CreateVirtualCluster(t.Context(), vc, store.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	return vc
}

func newRun(t *testing.T, st store.Store, ids *emr.JobRunIDs, vc *emr.VirtualCluster) *emr.JobRun {
	t.Helper()
	now := time.Now()
	run := &emr.JobRun{ID: ids.Next(now), VirtualClusterID: vc.ID, State: emr.JobRunPending, CreatedAt: now}
	if _, err := st.CreateJobRun(t.Context(), run, store.Idempotency{}); err != nil {
		t.Fatal(err)
	}
	return run
}

// step moves run one state on through view.
func step(ctx context.Context, view *controller.Leased, run *emr.JobRun, to emr.JobRunState) error {
	next := *run
	if err := next.Apply(emr.Transition{To: to}, time.Now()); err != nil {
		return err
	}
	if err := view.UpdateJobRun(ctx, &next, run.State); err != nil {
		return err
	}
	*run = next
	return nil
}

// Two servers' views of one store: a run is the one's that took its lease,
// the other's once that lease has expired, and anyone's once it ended.
func TestLeasedViews(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	// Long enough that a busy machine (CI runs every package at once) does
	// not delay a renewal past it.
	const ttl = 2 * time.Second
	a := controller.NewLeased(st, st, "server-a", ttl, quiet)
	b := controller.NewLeased(st, st, "server-b", ttl, quiet)
	var ids emr.JobRunIDs
	vc := newCluster(t, st, "c1")
	run := newRun(t, st, &ids, vc)

	if _, err := a.GetJobRun(ctx, vc.ID, run.ID); err != nil {
		t.Fatalf("a: GetJobRun() error = %v", err)
	}
	if _, err := b.GetJobRun(ctx, vc.ID, run.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("b: GetJobRun() error = %v, want ErrNotFound while a holds the run", err)
	}
	if err := step(ctx, b, run, emr.JobRunSubmitted); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("b: UpdateJobRun() error = %v, want ErrConflict without the lease", err)
	}
	if err := step(ctx, a, run, emr.JobRunSubmitted); err != nil {
		t.Fatalf("a: UpdateJobRun() error = %v", err)
	}
	if a.Held() != 1 || b.Held() != 0 {
		t.Fatalf("held: a %d, b %d; want 1, 0", a.Held(), b.Held())
	}

	time.Sleep(ttl + 200*time.Millisecond) // a stops renewing, as if it had died
	if err := step(ctx, a, run, emr.JobRunRunning); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("a: UpdateJobRun() after its lease ran out: error = %v, want ErrConflict", err)
	}
	got, err := b.GetJobRun(ctx, vc.ID, run.ID)
	if err != nil {
		t.Fatalf("b: GetJobRun() after a's lease expired: error = %v", err)
	}
	if got.State != emr.JobRunSubmitted {
		t.Fatalf("b sees %s, want SUBMITTED", got.State)
	}
	if _, err := a.GetJobRun(ctx, vc.ID, run.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a: GetJobRun() error = %v, want ErrNotFound once b took over", err)
	}
	for _, to := range []emr.JobRunState{emr.JobRunRunning, emr.JobRunCompleted} {
		if err := step(ctx, b, run, to); err != nil {
			t.Fatalf("b: UpdateJobRun(%s) error = %v", to, err)
		}
	}
	if b.Held() != 0 {
		t.Fatalf("b holds %d leases after the run ended, want 0", b.Held())
	}
	// The ended run's lease is free; a pass over it by a takes it, and a's
	// next resync gives it up.
	if _, err := a.GetJobRun(ctx, vc.ID, run.ID); err != nil {
		t.Fatalf("a: GetJobRun(ended run) error = %v", err)
	}
	if _, err := a.ActiveJobRuns(ctx); err != nil {
		t.Fatal(err)
	}
	if ok, err := st.AcquireLease(ctx, controller.LeaseName(vc.ID, run.ID), "server-c", time.Hour); err != nil || !ok {
		t.Fatalf("the ended run's lease after a's resync: acquire = %v, %v; want free", ok, err)
	}
}

// Run renews what is held, so a live server keeps its runs; Release hands
// them over at once.
func TestLeasedRenewAndRelease(t *testing.T) {
	st := openStore(t)
	// Long enough that a busy machine (CI runs every package at once) does
	// not delay a renewal past it.
	const ttl = 2 * time.Second
	a := controller.NewLeased(st, st, "server-a", ttl, quiet)
	b := controller.NewLeased(st, st, "server-b", ttl, quiet)
	var ids emr.JobRunIDs
	vc := newCluster(t, st, "c1")
	run := newRun(t, st, &ids, vc)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	if _, err := a.GetJobRun(ctx, vc.ID, run.ID); err != nil {
		t.Fatal(err)
	}
	time.Sleep(3 * ttl)
	if _, err := b.GetJobRun(ctx, vc.ID, run.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("b: GetJobRun() error = %v, want ErrNotFound: a renews its lease", err)
	}
	if err := step(ctx, a, run, emr.JobRunSubmitted); err != nil {
		t.Fatalf("a: UpdateJobRun() with a renewed lease: %v", err)
	}
	cancel()
	<-done
	a.Release(t.Context())
	if _, err := b.GetJobRun(t.Context(), vc.ID, run.ID); err != nil {
		t.Fatalf("b: GetJobRun() after a released: error = %v", err)
	}
}

// world is what two servers' runtimes see of one cluster: runtimes that are
// idempotent by name, as the real ones are, so a run submitted twice is
// started once. submits counts the calls of Submit, starts the starts.
type world struct {
	mu       sync.Mutex
	started  map[string]string // run id → server that started it
	submits  map[string]int
	starts   map[string]int
	done     bool                       // every started run has succeeded
	observed map[string]map[string]bool // run id → servers that observed it
}

type worldRuntime struct {
	w      *world
	server string
	events chan string
}

func (r *worldRuntime) Submit(_ context.Context, _ *emr.VirtualCluster, run *emr.JobRun) error {
	time.Sleep(20 * time.Millisecond) // as long as starting something takes: others may look meanwhile
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	r.w.submits[run.ID]++
	if _, ok := r.w.started[run.ID]; !ok {
		r.w.started[run.ID] = r.server
		r.w.starts[run.ID]++
	}
	return nil
}

func (r *worldRuntime) Observe(_ context.Context, _ *emr.VirtualCluster, run *emr.JobRun) (runtime.Observation, error) {
	r.w.mu.Lock()
	defer r.w.mu.Unlock()
	if r.w.observed[run.ID] == nil {
		r.w.observed[run.ID] = map[string]bool{}
	}
	r.w.observed[run.ID][r.server] = true
	switch _, ok := r.w.started[run.ID]; {
	case !ok:
		return runtime.Observation{Phase: runtime.PhaseUnknown}, nil
	case r.w.done:
		return runtime.Observation{Phase: runtime.PhaseSucceeded}, nil
	}
	return runtime.Observation{Phase: runtime.PhaseRunning}, nil
}

func (r *worldRuntime) Stop(context.Context, *emr.VirtualCluster, *emr.JobRun) (bool, error) {
	return true, nil
}

func (r *worldRuntime) Events() <-chan string { return r.events }

// Two controllers on one store, both told about every run: each run is
// submitted by one of them only; when one server dies, the other finishes
// its runs by observing them, not by submitting them again.
func TestTwoControllersOneStore(t *testing.T) {
	st := openStore(t)
	w := &world{started: map[string]string{}, submits: map[string]int{}, starts: map[string]int{}, observed: map[string]map[string]bool{}}
	const ttl = 2 * time.Second
	type server struct {
		view *controller.Leased
		ctl  *controller.Controller
		stop func()
	}
	start := func(name string) *server {
		view := controller.NewLeased(st, st, name, ttl, quiet)
		rt := &worldRuntime{w: w, server: name, events: make(chan string)}
		ctl := controller.New(view, map[string]runtime.Runtime{"c1": rt}, controller.Options{Resync: 50 * time.Millisecond, Logger: quiet})
		ctx, cancel := context.WithCancel(context.Background())
		var wg sync.WaitGroup
		wg.Go(func() { view.Run(ctx) })
		wg.Go(func() { _ = ctl.Run(ctx) })
		s := &server{view: view, ctl: ctl}
		var once sync.Once
		s.stop = func() { once.Do(func() { cancel(); wg.Wait() }) } // no Release: as if it died
		t.Cleanup(s.stop)
		return s
	}
	vc := newCluster(t, st, "c1")
	var ids emr.JobRunIDs
	var runs []*emr.JobRun
	waitAll := func(want emr.JobRunState) {
		t.Helper()
		deadline := time.Now().Add(30 * time.Second)
		for _, run := range runs {
			for {
				got, err := st.GetJobRun(t.Context(), vc.ID, run.ID)
				if err != nil {
					t.Fatal(err)
				}
				if got.State == want {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("run %s is %s, want %s", run.ID, got.State, want)
				}
				time.Sleep(10 * time.Millisecond)
			}
		}
	}
	submit := func(to ...*server) {
		for range 6 {
			run := newRun(t, st, &ids, vc)
			runs = append(runs, run)
			for _, s := range to {
				s.ctl.Enqueue(vc.ID, run.ID)
			}
		}
	}
	a := start("server-a")
	submit(a) // a's alone
	waitAll(emr.JobRunRunning)
	b := start("server-b")
	submit(a, b) // both race for each
	waitAll(emr.JobRunRunning)
	heldByA := a.view.Held()
	if heldByA < 6 {
		t.Fatalf("a holds %d runs, want at least the 6 it had alone", heldByA)
	}
	a.stop()
	w.mu.Lock()
	w.done = true
	w.mu.Unlock()
	waitAll(emr.JobRunCompleted)

	w.mu.Lock()
	defer w.mu.Unlock()
	takenOver, twice := 0, 0
	for _, run := range runs {
		// Each run starts exactly once. A lease that lapses mid-submission
		// (a server stalled past the ttl on a loaded machine) may let the
		// other server call Submit too, which the runtime's naming turns
		// into a no-op; that may happen once, not as a rule: without
		// leases every raced run would be submitted twice.
		n, m := w.submits[run.ID], w.starts[run.ID]
		if n < 1 || m != 1 {
			t.Errorf("run %s submitted %d times and started %d, want started exactly once", run.ID, n, m)
		}
		if n > 1 {
			twice++
		}
		if w.started[run.ID] == "server-a" && w.observed[run.ID]["server-b"] {
			takenOver++
		}
	}
	if twice > 1 {
		t.Errorf("%d runs were submitted by both servers; leases should keep that to a stalled server's rare lapse", twice)
	}
	if takenOver != heldByA {
		t.Errorf("b observed %d of the %d runs a drove, want all", takenOver, heldByA)
	}
}
