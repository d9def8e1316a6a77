package controller_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/controller"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
)

// countingStore counts the reads of single runs the controller makes.
type countingStore struct {
	controller.Store
	gets atomic.Int64
}

func (c *countingStore) GetJobRun(ctx context.Context, vcID, id string) (*emr.JobRun, error) {
	c.gets.Add(1)
	return c.Store.GetJobRun(ctx, vcID, id)
}

// A deep queue behind maxConcurrentJobRuns costs the resync nothing: only
// the running run is looked at, however many wait; a cancel of a waiting
// run is acted on at once.
func TestDeepQueueCostsNothing(t *testing.T) {
	ctx := t.Context()
	st := openStore(t)
	vc := newCluster(t, st, "c1")
	one := 1
	if _, err := st.SetVirtualClusterScheduler(ctx, vc.ID, &emr.SchedulerConfiguration{MaxConcurrentJobRuns: &one}); err != nil {
		t.Fatal(err)
	}
	var ids emr.JobRunIDs
	const waiting = 2000
	runs := make([]*emr.JobRun, 0, waiting+1)
	for range waiting + 1 {
		runs = append(runs, newRun(t, st, &ids, vc))
	}
	rt := newFake()
	counting := &countingStore{Store: st}
	ctl := controller.New(counting, map[string]runtime.Runtime{"c1": rt}, controller.Options{
		Resync: 20 * time.Millisecond, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { defer close(done); _ = ctl.Run(runCtx) }()
	defer func() { cancel(); <-done }()

	waitFor(t, st, runs[0], emr.JobRunSubmitted)
	time.Sleep(300 * time.Millisecond) // ~15 resyncs
	before := counting.gets.Load()
	time.Sleep(300 * time.Millisecond)
	// Each resync passes over the submitted run (and the head of the queue,
	// which has no slot); none over the other 1,999.
	if n := counting.gets.Load() - before; n > 2*20 {
		t.Fatalf("15 resyncs read %d runs; want at most 2 per resync with %d runs waiting", n, waiting)
	}
	for _, r := range runs[1:] {
		if rt.count(rt.submits, r.ID) != 0 {
			t.Fatalf("run %s submitted while the only slot is taken", r.ID)
		}
	}

	// A cancel of a run deep in the queue is acted on without waiting for
	// the slot.
	last := runs[waiting]
	if _, err := st.RequestJobRunCancel(ctx, vc.ID, last.ID, time.Now()); err != nil {
		t.Fatal(err)
	}
	ctl.Enqueue(vc.ID, last.ID)
	if got := waitFor(t, st, last, emr.JobRunCancelled); got.FinishedAt == nil {
		t.Fatal("a cancelled run has no finishedAt")
	}
	if _, err := st.RequestJobRunCancel(ctx, vc.ID, last.ID, time.Now()); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("cancel of a cancelled run: err = %v, want ErrConflict", err)
	}
}

func waitFor(t *testing.T, st store.Store, run *emr.JobRun, want emr.JobRunState) *emr.JobRun {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, err := st.GetJobRun(t.Context(), run.VirtualClusterID, run.ID)
		if err != nil {
			t.Fatal(err)
		}
		if got.State == want {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s is %s (%s), want %s", run.ID, got.State, got.StateDetails, want)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
