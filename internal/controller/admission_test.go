package controller_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/controller"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// admittingRuntime is a fakeRuntime with room for a fixed number of runs
// at once: a run is admitted while fewer runs than room hold some.
type admittingRuntime struct {
	*fakeRuntime
	mu      sync.Mutex
	room    int
	holding map[string]bool
	waiting map[string]bool
	admits  atomic.Int64
}

func (a *admittingRuntime) Admit(_ context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (runtime.Admission, error) {
	a.admits.Add(1)
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.holding) >= a.room {
		a.waiting[runtime.Key(vc.ID, run.ID)] = true
		return runtime.Admission{Waiting: "Waiting for capacity: the test cluster is full."}, nil
	}
	delete(a.waiting, runtime.Key(vc.ID, run.ID))
	a.holding[run.ID] = true
	return runtime.Admission{OK: true}, nil
}

// finish ends a run that holds room, and wakes the waiting runs, as the
// Kubernetes runtime does when a pod ends.
func (a *admittingRuntime) finish(run *emr.JobRun) {
	a.mu.Lock()
	delete(a.holding, run.ID)
	var wake []string
	for k := range a.waiting {
		wake = append(wake, k)
	}
	a.mu.Unlock()
	a.set(run, runtime.Observation{Phase: runtime.PhaseSucceeded})
	for _, k := range wake {
		a.events <- k
	}
}

// pendingWrites counts the writes of runs that stay PENDING.
type pendingWrites struct {
	controller.Store
	n atomic.Int64
}

func (p *pendingWrites) UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error {
	if run.State == emr.JobRunPending {
		p.n.Add(1)
	}
	return p.Store.UpdateJobRun(ctx, run, from)
}

// On a runtime that admits runs, the queue is first in, first out: the
// head waits, saying why (written once, however often it is looked at),
// the runs behind it wait silently, and when room frees the head goes,
// saying it waited.
func TestAdmissionKeepsTheQueueInOrder(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	vc := newCluster(t, st, "c1")
	var ids emr.JobRunIDs
	runs := []*emr.JobRun{newRun(t, st, &ids, vc), newRun(t, st, &ids, vc), newRun(t, st, &ids, vc)}
	rt := &admittingRuntime{fakeRuntime: newFake(), room: 1, holding: map[string]bool{}, waiting: map[string]bool{}}
	counting := &pendingWrites{Store: st}
	ctl := controller.New(counting, map[string]runtime.Runtime{"c1": rt}, controller.Options{
		Resync: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = ctl.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	ctl.WakeQueue(vc.ID)

	waitFor(t, st, runs[0], emr.JobRunSubmitted)
	deadline := time.Now().Add(10 * time.Second)
	for {
		second, err := st.GetJobRun(ctx, vc.ID, runs[1].ID)
		if err != nil {
			t.Fatal(err)
		}
		if second.StateDetails != "" {
			if second.State != emr.JobRunPending || !strings.HasPrefix(second.StateDetails, "Waiting for capacity") {
				t.Fatalf("second run %s %q, want PENDING waiting for capacity", second.State, second.StateDetails)
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the second run never said what it waits for")
		}
		time.Sleep(5 * time.Millisecond)
	}
	admits := rt.admits.Load()
	time.Sleep(200 * time.Millisecond) // ~10 resyncs, each looking at the head
	if rt.admits.Load() == admits {
		t.Error("the waiting head was not looked at again")
	}
	if n := counting.n.Load(); n != 1 {
		t.Errorf("%d writes of PENDING runs, want 1 (the reason, once)", n)
	}
	third, err := st.GetJobRun(ctx, vc.ID, runs[2].ID)
	if err != nil {
		t.Fatal(err)
	}
	if third.State != emr.JobRunPending || third.StateDetails != "" || rt.count(rt.submits, third.ID) != 0 {
		t.Fatalf("third run %s %q, submitted %d times; want PENDING behind the head", third.State, third.StateDetails, rt.count(rt.submits, third.ID))
	}

	rt.finish(runs[0])
	waitFor(t, st, runs[0], emr.JobRunCompleted)
	second := waitFor(t, st, runs[1], emr.JobRunSubmitted)
	if !strings.HasPrefix(second.StateDetails, "Submitted once") {
		t.Errorf("second run submitted with stateDetails %q", second.StateDetails)
	}
	if got, _ := st.GetJobRun(ctx, vc.ID, runs[2].ID); got.State != emr.JobRunPending {
		t.Errorf("third run %s while the second holds the room", got.State)
	}
	rt.finish(runs[1])
	waitFor(t, st, runs[2], emr.JobRunSubmitted)
}

// stagingRuntime is an admittingRuntime that stages waiting runs, failing
// to for those in fail.
type stagingRuntime struct {
	*admittingRuntime
	staged sync.Map // run id → *atomic.Int64
	fail   map[string]bool
}

func (s *stagingRuntime) Stage(_ context.Context, _ *emr.VirtualCluster, run *emr.JobRun) error {
	n, _ := s.staged.LoadOrStore(run.ID, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
	if s.fail[run.ID] {
		return errors.New("the test cluster refuses to stage it")
	}
	return nil
}

func (s *stagingRuntime) stages(id string) int64 {
	n, ok := s.staged.Load(id)
	if !ok {
		return 0
	}
	return n.(*atomic.Int64).Load()
}

// On a runtime that stages runs, the runs that wait are staged (behind the
// head, when StartJobRun queues their first pass, or the head refused),
// the run admitted at once is not, and one that cannot be staged is still
// submitted in its turn.
func TestWaitingRunsAreStaged(t *testing.T) {
	st := openStore(t)
	vc := newCluster(t, st, "c1")
	var ids emr.JobRunIDs
	runs := []*emr.JobRun{newRun(t, st, &ids, vc), newRun(t, st, &ids, vc), newRun(t, st, &ids, vc)}
	rt := &stagingRuntime{admittingRuntime: &admittingRuntime{fakeRuntime: newFake(), room: 1, holding: map[string]bool{}, waiting: map[string]bool{}},
		fail: map[string]bool{runs[2].ID: true}}
	ctl := controller.New(st, map[string]runtime.Runtime{"c1": rt}, controller.Options{
		Resync: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	runCtx, cancel := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { defer close(done); _ = ctl.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	for _, r := range runs { // as StartJobRun does
		ctl.Enqueue(vc.ID, r.ID)
	}

	waitFor(t, st, runs[0], emr.JobRunSubmitted)
	deadline := time.Now().Add(10 * time.Second)
	for rt.stages(runs[1].ID) == 0 || rt.stages(runs[2].ID) == 0 {
		if time.Now().After(deadline) {
			t.Fatalf("waiting runs staged %d and %d times; want both staged", rt.stages(runs[1].ID), rt.stages(runs[2].ID))
		}
		time.Sleep(5 * time.Millisecond)
	}
	if n := rt.stages(runs[0].ID); n != 0 {
		t.Errorf("the run admitted at once was staged %d times", n)
	}
	rt.finish(runs[0])
	waitFor(t, st, runs[1], emr.JobRunSubmitted)
	rt.finish(runs[1])
	waitFor(t, st, runs[2], emr.JobRunSubmitted) // its staging failed: submitted all the same
}
