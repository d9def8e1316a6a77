package controller_test

import (
	"context"
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

// Two servers' leases on one store: a run is the one's that took its
// lease, the other's once that lease has expired, and anyone's once it
// was let go.
func TestLeasedViews(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	// Long enough that a busy machine (CI runs every package at once) does
	// not delay a renewal past it.
	const ttl = 2 * time.Second
	a := controller.NewLeased(st, "server-a", ttl, nil, quiet)
	b := controller.NewLeased(st, "server-b", ttl, nil, quiet)
	var ids emr.JobRunIDs
	vc := newCluster(t, st, "c1")
	run := newRun(t, st, &ids, vc)

	if ok, err := a.Hold(ctx, vc.ID, run.ID); err != nil || !ok {
		t.Fatalf("a: Hold() = %v, %v; want true", ok, err)
	}
	if ok, err := b.Hold(ctx, vc.ID, run.ID); err != nil || ok {
		t.Fatalf("b: Hold() = %v, %v; want false while a holds the run", ok, err)
	}
	if !a.Holds(vc.ID, run.ID) || b.Holds(vc.ID, run.ID) {
		t.Fatalf("Holds: a %v, b %v; want true, false", a.Holds(vc.ID, run.ID), b.Holds(vc.ID, run.ID))
	}
	if a.Held() != 1 || b.Held() != 0 {
		t.Fatalf("held: a %d, b %d; want 1, 0", a.Held(), b.Held())
	}

	time.Sleep(ttl + 200*time.Millisecond) // a stops renewing, as if it had died
	if a.Holds(vc.ID, run.ID) {
		t.Fatal("a: Holds() after its lease ran out = true")
	}
	if ok, err := b.Hold(ctx, vc.ID, run.ID); err != nil || !ok {
		t.Fatalf("b: Hold() after a's lease expired = %v, %v; want true", ok, err)
	}
	if ok, err := a.Hold(ctx, vc.ID, run.ID); err != nil || ok {
		t.Fatalf("a: Hold() once b took over = %v, %v; want false", ok, err)
	}
	b.Let(ctx, vc.ID, run.ID) // the run ended
	if b.Held() != 0 {
		t.Fatalf("b holds %d leases after letting the run go, want 0", b.Held())
	}
	if ok, err := st.AcquireLease(ctx, controller.LeaseName(vc.ID, run.ID), "server-c", time.Hour); err != nil || !ok {
		t.Fatalf("the ended run's lease: acquire = %v, %v; want free", ok, err)
	}
}

// A fresh lease is kept without asking the store: a pass over a run this
// server drives writes no lease.
func TestLeasedFreshHoldAsksNothing(t *testing.T) {
	ctx := t.Context()
	st := &countingLeases{Leases: openStore(t)}
	now := time.Unix(1_700_000_000, 0)
	a := controller.NewLeased(st, "server-a", 30*time.Second, func() time.Time { return now }, quiet)
	for range 5 {
		if ok, err := a.Hold(ctx, "vc", "run"); err != nil || !ok {
			t.Fatalf("Hold() = %v, %v", ok, err)
		}
	}
	if st.acquires != 1 {
		t.Fatalf("5 holds within a third of the ttl asked the store %d times, want 1", st.acquires)
	}
	now = now.Add(11 * time.Second)
	if ok, err := a.Hold(ctx, "vc", "run"); err != nil || !ok {
		t.Fatalf("Hold() = %v, %v", ok, err)
	}
	if st.acquires != 2 {
		t.Fatalf("a hold past a third of the ttl asked the store %d times in all, want 2", st.acquires)
	}
	now = now.Add(31 * time.Second)
	if a.Holds("vc", "run") {
		t.Fatal("Holds() past the ttl by the injected clock = true")
	}
}

type countingLeases struct {
	store.Leases
	acquires int
}

func (c *countingLeases) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	c.acquires++
	return c.Leases.AcquireLease(ctx, name, owner, ttl)
}

// Run renews what is held, so a live server keeps its runs; Release hands
// them over at once.
func TestLeasedRenewAndRelease(t *testing.T) {
	st := openStore(t)
	// Long enough that a busy machine (CI runs every package at once) does
	// not delay a renewal past it.
	const ttl = 2 * time.Second
	a := controller.NewLeased(st, "server-a", ttl, nil, quiet)
	b := controller.NewLeased(st, "server-b", ttl, nil, quiet)
	var ids emr.JobRunIDs
	vc := newCluster(t, st, "c1")
	run := newRun(t, st, &ids, vc)
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); a.Run(ctx) }()
	if ok, err := a.Hold(ctx, vc.ID, run.ID); err != nil || !ok {
		t.Fatal(ok, err)
	}
	time.Sleep(3 * ttl)
	if ok, err := b.Hold(ctx, vc.ID, run.ID); err != nil || ok {
		t.Fatalf("b: Hold() = %v, %v; want false: a renews its lease", ok, err)
	}
	if !a.Holds(vc.ID, run.ID) {
		t.Fatal("a: Holds() with a renewed lease = false")
	}
	cancel()
	<-done
	a.Release(t.Context())
	if ok, err := b.Hold(t.Context(), vc.ID, run.ID); err != nil || !ok {
		t.Fatalf("b: Hold() after a released = %v, %v; want true", ok, err)
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
		view := controller.NewLeased(st, name, ttl, nil, quiet)
		rt := &worldRuntime{w: w, server: name, events: make(chan string)}
		ctl := controller.New(st, map[string]runtime.Runtime{"c1": rt}, controller.Options{Leases: view, Resync: 50 * time.Millisecond, Logger: quiet})
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
