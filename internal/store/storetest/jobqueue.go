package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var jobQueueTests = []subtest{
	{"QueueLimitUnderConcurrency", testQueueLimitConcurrent},
	{"QueueLimitCountsWaitingRuns", testQueueLimitCounts},
	{"CancelRequest", testCancelRequest},
	{"InStatesPaged", testJobRunsInStates},
	{"CancelRequestedPaged", testCancelRequestedJobRuns},
	{"QueuedVirtualClusters", testQueuedVirtualClusters},
	{"WaitingDetails", testWaitingDetails},
}

// newLimitedCluster stores a virtual cluster whose queue holds limit runs.
func newLimitedCluster(t *testing.T, s store.Store, ns string, limit int) *emr.VirtualCluster {
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", ns, Epoch))
	vc, err := s.SetVirtualClusterScheduler(t.Context(), vc.ID, &emr.SchedulerConfiguration{MaxInQueueJobRuns: &limit})
	must(t, err)
	return vc
}

// Of 64 requests at once against a queue of 10, exactly 10 get in.
func testQueueLimitConcurrent(t *testing.T, s store.Store) {
	const n, limit = 64, 10
	vc := newLimitedCluster(t, s, "spark", limit)
	var gen emr.JobRunIDs
	runs := make([]*emr.JobRun, n)
	for i := range runs {
		runs[i] = NewJobRun(&gen, vc.ID, "pi", Epoch)
	}
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range runs {
		wg.Go(func() { _, errs[i] = s.CreateJobRun(t.Context(), runs[i], NoIdempotency) })
	}
	wg.Wait()
	created, full := 0, 0
	for _, err := range errs {
		var qf *store.QueueFullError
		switch {
		case err == nil:
			created++
		case errors.Is(err, store.ErrQueueFull) && errors.As(err, &qf) && qf.Limit == limit && qf.VirtualClusterID == vc.ID:
			full++
		default:
			t.Fatalf("CreateJobRun() error = %v", err)
		}
	}
	if created != limit || full != n-limit {
		t.Fatalf("%d created, %d refused as full; want %d and %d", created, full, limit, n-limit)
	}
	if got, err := s.CountJobRuns(t.Context(), vc.ID); err != nil || got != limit {
		t.Fatalf("CountJobRuns() = %d, %v; want %d", got, err, limit)
	}
}

// The queue is the PENDING and SUBMITTED runs; a replay is answered first.
func testQueueLimitCounts(t *testing.T, s store.Store) {
	vc := newLimitedCluster(t, s, "spark", 2)
	var gen emr.JobRunIDs
	idem := store.Idempotency{Scope: "StartJobRun/" + vc.ID, Token: "tok", Hash: "h"}
	first, err := s.CreateJobRun(t.Context(), NewJobRun(&gen, vc.ID, "a", Epoch), idem)
	must(t, err)
	MustMove(t, s, first, emr.JobRunSubmitted)
	MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "b", Epoch))
	_, err = s.CreateJobRun(t.Context(), NewJobRun(&gen, vc.ID, "c", Epoch), NoIdempotency)
	var qf *store.QueueFullError
	if !errors.As(err, &qf) || qf.Queued != 2 || qf.Limit != 2 || !errors.Is(err, store.ErrQueueFull) {
		t.Fatalf("third run: error = %v, want a QueueFullError of 2 queued, limit 2", err)
	}
	if replay, err := s.CreateJobRun(t.Context(), NewJobRun(&gen, vc.ID, "a", Epoch), idem); err != nil || replay.ID != first.ID {
		t.Fatalf("replay = %v, %v; want %s", replay, err, first.ID)
	}
	must(t, first.Apply(emr.Transition{To: emr.JobRunRunning}, Epoch.Add(time.Minute)))
	if err := s.UpdateJobRun(t.Context(), first, emr.JobRunSubmitted); err != nil { // RUNNING no longer waits
		t.Fatal(err)
	}
	MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "d", Epoch))
}

// A cancel request is kept apart from the run's state, once, and only for
// a run that has not finished.
func testCancelRequest(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	var gen emr.JobRunIDs
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	if run.CancelRequestedAt != nil {
		t.Fatalf("a new run has CancelRequestedAt %v", run.CancelRequestedAt)
	}
	at := Epoch.Add(time.Minute)
	got, err := s.RequestJobRunCancel(ctx, vc.ID, run.ID, at)
	if err != nil || got.CancelRequestedAt == nil || !got.CancelRequestedAt.Equal(at) {
		t.Fatalf("RequestJobRunCancel() = %+v, %v; want CancelRequestedAt %v", got, err, at)
	}
	if again, err := s.RequestJobRunCancel(ctx, vc.ID, run.ID, at.Add(time.Hour)); err != nil || !again.CancelRequestedAt.Equal(at) {
		t.Fatalf("second request = %+v, %v; want the first time kept", again, err)
	}
	MustMove(t, s, run, emr.JobRunSubmitted) // UpdateJobRun keeps the request
	if got := MustGetJobRun(t, s, vc.ID, run.ID); got.CancelRequestedAt == nil || !got.CancelRequestedAt.Equal(at) {
		t.Fatalf("after UpdateJobRun: CancelRequestedAt = %v, want %v", got.CancelRequestedAt, at)
	}
	runs, _, err := s.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{})
	if err != nil || len(runs) != 1 || runs[0].CancelRequestedAt == nil {
		t.Fatalf("ListJobRuns() = %v, %v; want the request", runs, err)
	}
	_, err = s.RequestJobRunCancel(ctx, vc.ID, "no-such-run", at)
	MustBe(t, err, store.ErrNotFound)
	done := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "done", Epoch))
	MustMove(t, s, done, emr.JobRunCompleted)
	_, err = s.RequestJobRunCancel(ctx, vc.ID, done.ID, at)
	MustBe(t, err, store.ErrConflict)
}

// The resync pages through the runs of every cluster in some states by id.
func testJobRunsInStates(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	var want []string
	for c := range 2 {
		vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", fmt.Sprint("ns-", c), Epoch))
		for i := range 5 {
			run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch.Add(time.Duration(c*5+i)*time.Second)))
			switch i % 3 {
			case 1:
				MustMove(t, s, run, emr.JobRunRunning)
			case 2:
				MustMove(t, s, run, emr.JobRunCompleted)
				continue
			}
			want = append(want, run.ID)
		}
	}
	states := []emr.JobRunState{emr.JobRunPending, emr.JobRunRunning}
	var got []string
	for after := ""; ; {
		page, err := s.JobRunsInStates(t.Context(), states, after, 3)
		must(t, err)
		if len(page) == 0 {
			break
		}
		got = append(got, ids(page)...)
		after = page[len(page)-1].ID
	}
	must(t, sameIDs(got, want))
}

// Runs with a cancel request that have not finished, by id.
func testCancelRequestedJobRuns(t *testing.T, s store.Store) {
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	var gen emr.JobRunIDs
	var want []string
	for i := range 6 {
		run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch.Add(time.Duration(i)*time.Second)))
		if i%2 == 0 {
			continue
		}
		if _, err := s.RequestJobRunCancel(t.Context(), vc.ID, run.ID, Epoch); err != nil {
			t.Fatal(err)
		}
		if i == 5 {
			MustMove(t, s, run, emr.JobRunCancelled)
			continue
		}
		want = append(want, run.ID)
	}
	first, err := s.CancelRequestedJobRuns(t.Context(), "", 1)
	if err != nil || len(first) != 1 {
		t.Fatalf("first page = %v, %v", first, err)
	}
	rest, err := s.CancelRequestedJobRuns(t.Context(), first[0].ID, 10)
	must(t, err)
	must(t, sameIDs(append(ids(first), ids(rest)...), want))
}

// The clusters with a PENDING run, sorted.
func testQueuedVirtualClusters(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	var want []string
	for c := range 4 {
		vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", fmt.Sprint("ns-", c), Epoch))
		for i := range 3 {
			run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
			if c%2 == 1 { // none left waiting
				MustMove(t, s, run, emr.JobRunRunning)
			} else if i == 0 {
				want = append(want, vc.ID)
			}
		}
	}
	got, err := s.QueuedVirtualClusters(t.Context())
	must(t, err)
	slices.Sort(want)
	must(t, sameIDs(got, want))
}
