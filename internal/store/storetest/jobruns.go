package storetest

import (
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var jobRunTests = []subtest{
	{"CountAndQueue", testCountAndPendingJobRuns},
	{"CreateAndGet", testCreateAndGetJobRun},
	{"GetMissing", testGetMissingJobRun},
	{"CreateNeedsRunningCluster", testCreateJobRunNeedsRunningCluster},
	{"Idempotency", testJobRunIdempotency},
	{"ConcurrentIdempotentCreate", testConcurrentIdempotentCreate},
	{"ListFilters", testListJobRunFilters},
	{"ActiveJobRuns", testActiveJobRuns},
	{"UpdateCompareAndSet", testUpdateJobRun},
	{"UpdateSeveralStepsAtOnce", testUpdateJobRunSeveralSteps},
	{"ConcurrentUpdate", testConcurrentUpdateJobRun},
}

func testCreateAndGetJobRun(t *testing.T, s store.Store) {
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	var gen emr.JobRunIDs
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	got := MustGetJobRun(t, s, vc.ID, run.ID)
	MustEqual(t, got, run)
	if !got.CreatedAt.Equal(Epoch) || got.FinishedAt != nil {
		t.Errorf("CreatedAt, FinishedAt = %v, %v; want %v, nil", got.CreatedAt, got.FinishedAt, Epoch)
	}
}

func testGetMissingJobRun(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "other", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	for _, tc := range []struct{ vc, id string }{
		{vc.ID, gen.Next(Epoch)}, // no such run
		{other.ID, run.ID},       // a run of another cluster
		{emr.NewResourceID(), run.ID},
		{"", ""},
	} {
		got, err := s.GetJobRun(t.Context(), tc.vc, tc.id)
		MustBe(t, err, store.ErrNotFound)
		if got != nil {
			t.Errorf("GetJobRun(%q, %q) = %+v, want nil", tc.vc, tc.id, got)
		}
	}
}

func testCreateJobRunNeedsRunningCluster(t *testing.T, s store.Store) {
	ctx := t.Context()
	var gen emr.JobRunIDs
	_, err := s.CreateJobRun(ctx, NewJobRun(&gen, emr.NewResourceID(), "x", Epoch), NoIdempotency)
	MustBe(t, err, store.ErrNotFound)

	for _, state := range []emr.VirtualClusterState{emr.VirtualClusterTerminating, emr.VirtualClusterArrested, emr.VirtualClusterTerminated} {
		vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "ns-"+string(state), Epoch))
		must(t, s.SetVirtualClusterState(ctx, vc.ID, state))
		_, err := s.CreateJobRun(ctx, NewJobRun(&gen, vc.ID, "x", Epoch), NoIdempotency)
		MustBe(t, err, store.ErrConflict)
		runs, _, err := s.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 10})
		if err != nil || len(runs) != 0 {
			t.Fatalf("ListJobRuns(%s cluster) = %v, %v; want none", state, ids(runs), err)
		}
	}

	// An id already taken is a conflict.
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "a", Epoch))
	dup := NewJobRun(&gen, vc.ID, "b", Epoch)
	dup.ID = run.ID
	_, err = s.CreateJobRun(ctx, dup, NoIdempotency)
	MustBe(t, err, store.ErrConflict)
	MustEqual(t, MustGetJobRun(t, s, vc.ID, run.ID), run)
}

func testJobRunIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	idem := store.Idempotency{Scope: "StartJobRun/" + vc.ID, Token: "token-1", Hash: "hash-1"}
	orig := NewJobRun(&gen, vc.ID, "pi", Epoch)
	if _, err := s.CreateJobRun(ctx, orig, idem); err != nil {
		t.Fatal(err)
	}

	again, err := s.CreateJobRun(ctx, NewJobRun(&gen, vc.ID, "pi", Epoch.Add(time.Second)), idem)
	if err != nil {
		t.Fatalf("replay error = %v", err)
	}
	MustEqual(t, again, orig)

	other := idem
	other.Hash = "hash-2"
	_, err = s.CreateJobRun(ctx, NewJobRun(&gen, vc.ID, "pi", Epoch), other)
	MustBe(t, err, store.ErrTokenMismatch)

	// The same token on another virtual cluster is another request.
	vc2 := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark-2", Epoch))
	scoped := store.Idempotency{Scope: "StartJobRun/" + vc2.ID, Token: idem.Token, Hash: idem.Hash}
	run2 := NewJobRun(&gen, vc2.ID, "pi", Epoch)
	if got, err := s.CreateJobRun(ctx, run2, scoped); err != nil || got.ID != run2.ID {
		t.Fatalf("CreateJobRun(other scope) = %+v, %v; want a new run", got, err)
	}

	// A failed request leaves no record: its token still works.
	gone := store.Idempotency{Scope: "StartJobRun/missing", Token: "token-2", Hash: "hash-1"}
	_, err = s.CreateJobRun(ctx, NewJobRun(&gen, "missing", "pi", Epoch), gone)
	MustBe(t, err, store.ErrNotFound)
	retry := store.Idempotency{Scope: idem.Scope, Token: "token-2", Hash: "hash-1"}
	if _, err := s.CreateJobRun(ctx, NewJobRun(&gen, vc.ID, "pi", Epoch), retry); err != nil {
		t.Fatalf("CreateJobRun(token of a failed request) error = %v", err)
	}

	// A replay answers with the original even once its cluster is gone.
	must(t, s.SetVirtualClusterState(ctx, vc.ID, emr.VirtualClusterTerminated))
	again, err = s.CreateJobRun(ctx, NewJobRun(&gen, vc.ID, "pi", Epoch), idem)
	if err != nil || again.ID != orig.ID {
		t.Fatalf("replay on a TERMINATED cluster = %+v, %v; want the original", again, err)
	}

	runs, _, err := s.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 10})
	if err != nil || len(runs) != 2 {
		t.Fatalf("ListJobRuns() = %v, %v; want 2 runs", ids(runs), err)
	}
}

func testConcurrentIdempotentCreate(t *testing.T, s store.Store) {
	const callers = 20
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	idem := store.Idempotency{Scope: "StartJobRun/" + vc.ID, Token: "same-token", Hash: "same-hash"}
	var (
		wg   sync.WaitGroup
		got  = make([]*emr.JobRun, callers)
		errs = make([]error, callers)
	)
	for i := range callers {
		run := NewJobRun(&gen, vc.ID, "pi", Epoch) // each caller has its own id, as the API makes them
		wg.Go(func() { got[i], errs[i] = s.CreateJobRun(t.Context(), run, idem) })
	}
	wg.Wait()
	for i := range callers {
		if errs[i] != nil {
			t.Fatalf("caller %d: error = %v", i, errs[i])
		}
		if got[i].ID != got[0].ID {
			t.Fatalf("caller %d got run %s, caller 0 got %s", i, got[i].ID, got[0].ID)
		}
	}
	runs, _, err := s.ListJobRuns(t.Context(), store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 100})
	if err != nil || len(runs) != 1 || runs[0].ID != got[0].ID {
		t.Fatalf("ListJobRuns() = %v, %v; want exactly run %s", ids(runs), err, got[0].ID)
	}
}

func testListJobRunFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "other", Epoch))
	MustCreateJobRun(t, s, NewJobRun(&gen, other.ID, "etl", secs(15))) // never listed below

	mk := func(name string, sec int, state emr.JobRunState) *emr.JobRun {
		run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, name, secs(sec)))
		if state != emr.JobRunPending {
			MustMove(t, s, run, state)
		}
		return run
	}
	a := mk("etl", 0, emr.JobRunPending)
	b := mk("etl", 10, emr.JobRunRunning)
	c := mk("report", 20, emr.JobRunCompleted)
	d := mk("", 30, emr.JobRunFailed)
	all := []*emr.JobRun{d, c, b, a}

	states := func(ss ...emr.JobRunState) []emr.JobRunState { return ss }
	tests := []struct {
		name string
		f    store.JobRunFilter
		want []*emr.JobRun
	}{
		{"all of the cluster", store.JobRunFilter{}, all},
		{"one state", store.JobRunFilter{States: states(emr.JobRunRunning)}, []*emr.JobRun{b}},
		{"states are or-ed", store.JobRunFilter{States: states(emr.JobRunPending, emr.JobRunFailed, emr.JobRunCancelled)}, []*emr.JobRun{d, a}},
		{"name", store.JobRunFilter{Name: "etl"}, []*emr.JobRun{b, a}},
		{"name is exact", store.JobRunFilter{Name: "et"}, nil},
		{"created after, inclusive", store.JobRunFilter{CreatedAfter: secs(20)}, []*emr.JobRun{d, c}},
		{"created before, inclusive", store.JobRunFilter{CreatedBefore: secs(10)}, []*emr.JobRun{b, a}},
		{"created between", store.JobRunFilter{CreatedAfter: secs(5), CreatedBefore: secs(25)}, []*emr.JobRun{c, b}},
		{"everything at once", store.JobRunFilter{Name: "etl", States: states(emr.JobRunPending), CreatedBefore: secs(5)}, []*emr.JobRun{a}},
	}
	for _, tc := range tests {
		tc.f.VirtualClusterID = vc.ID
		got, next, err := s.ListJobRuns(ctx, tc.f, store.Page{Limit: 10})
		if err != nil || next != "" {
			t.Fatalf("%s: ListJobRuns() = _, %q, %v", tc.name, next, err)
		}
		if err := sameIDs(ids(got), ids(tc.want)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	runs, _, err := s.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: emr.NewResourceID()}, store.Page{Limit: 10})
	if err != nil || len(runs) != 0 {
		t.Errorf("ListJobRuns(unknown cluster) = %v, %v; want none", ids(runs), err)
	}
	_, _, err = s.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 10, Token: "not a token"})
	MustBe(t, err, store.ErrInvalidToken)
}

// path leads from PENDING to each state.
var path = map[emr.JobRunState][]emr.JobRunState{
	emr.JobRunPending:       nil,
	emr.JobRunSubmitted:     {emr.JobRunSubmitted},
	emr.JobRunRunning:       {emr.JobRunSubmitted, emr.JobRunRunning},
	emr.JobRunCompleted:     {emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunCompleted},
	emr.JobRunFailed:        {emr.JobRunFailed},
	emr.JobRunCancelPending: {emr.JobRunCancelPending},
	emr.JobRunCancelled:     {emr.JobRunCancelPending, emr.JobRunCancelled},
}

// MustMove takes a stored PENDING run to state through UpdateJobRun.
func MustMove(tb testing.TB, s store.Store, run *emr.JobRun, state emr.JobRunState) {
	tb.Helper()
	for _, to := range path[state] {
		from := run.State
		must(tb, run.Apply(emr.Transition{To: to, Details: "now " + string(to)}, run.CreatedAt.Add(time.Minute)))
		if err := s.UpdateJobRun(tb.Context(), run, from); err != nil {
			tb.Fatalf("UpdateJobRun(%s, from %s) error = %v", run.ID, from, err)
		}
	}
}

func testActiveJobRuns(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	var want []string
	for i, vcNS := range []string{"one", "two"} {
		vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", vcNS, Epoch))
		for j, state := range emr.JobRunStates {
			run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, string(state), Epoch.Add(time.Duration(i*10+j)*time.Second)))
			MustMove(t, s, run, state)
			if !state.Terminal() {
				want = append(want, run.ID)
			}
		}
	}
	got, err := s.ActiveJobRuns(t.Context())
	must(t, err)
	gotIDs := ids(got)
	slices.Sort(gotIDs)
	slices.Sort(want)
	if err := sameIDs(gotIDs, want); err != nil {
		t.Fatalf("ActiveJobRuns(): %v", err)
	}
	for _, run := range got {
		MustEqual(t, run, MustGetJobRun(t, s, run.VirtualClusterID, run.ID))
	}
}

func testUpdateJobRun(t *testing.T, s store.Store) {
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))

	MustMove(t, s, run, emr.JobRunRunning)
	MustEqual(t, MustGetJobRun(t, s, vc.ID, run.ID), run)

	// A writer that still thinks the run is PENDING loses.
	stale := *run
	stale.State, stale.StateDetails = emr.JobRunCancelPending, "stale"
	MustBe(t, s.UpdateJobRun(ctx, &stale, emr.JobRunPending), store.ErrConflict)
	MustEqual(t, MustGetJobRun(t, s, vc.ID, run.ID), run)

	// Every field is written, not only the state.
	must(t, run.Apply(emr.Transition{To: emr.JobRunFailed, Reason: emr.FailureUser, Details: "exit 1"}, Epoch.Add(time.Hour)))
	run.RetryPolicyExecution.CurrentAttemptCount = 2
	if err := s.UpdateJobRun(ctx, run, emr.JobRunRunning); err != nil {
		t.Fatalf("UpdateJobRun() error = %v", err)
	}
	got := MustGetJobRun(t, s, vc.ID, run.ID)
	MustEqual(t, got, run)
	if got.FinishedAt == nil || !got.FinishedAt.Equal(Epoch.Add(time.Hour)) {
		t.Errorf("FinishedAt = %v, want %v", got.FinishedAt, Epoch.Add(time.Hour))
	}
	if active, err := s.ActiveJobRuns(ctx); err != nil || len(active) != 0 {
		t.Errorf("ActiveJobRuns() = %v, %v; want none", ids(active), err)
	}

	// A run that is not there, or is there under another cluster, is not written.
	missing := NewJobRun(&gen, vc.ID, "x", Epoch)
	missing.State = emr.JobRunSubmitted
	MustBe(t, s.UpdateJobRun(ctx, missing, emr.JobRunPending), store.ErrConflict)
	pending := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "y", Epoch))
	moved := *pending
	moved.VirtualClusterID, moved.State = emr.NewResourceID(), emr.JobRunSubmitted
	MustBe(t, s.UpdateJobRun(ctx, &moved, emr.JobRunPending), store.ErrConflict)
	MustEqual(t, MustGetJobRun(t, s, vc.ID, pending.ID), pending)
}

func testConcurrentUpdateJobRun(t *testing.T, s store.Store) {
	const writers = 10
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	MustMove(t, s, run, emr.JobRunRunning)

	targets := []emr.JobRunState{emr.JobRunCompleted, emr.JobRunFailed, emr.JobRunCancelPending}
	var (
		wg   sync.WaitGroup
		errs = make([]error, writers)
	)
	for i := range writers {
		mine := *run
		must(t, mine.Apply(emr.Transition{To: targets[i%len(targets)]}, Epoch.Add(time.Hour)))
		wg.Go(func() { errs[i] = s.UpdateJobRun(t.Context(), &mine, emr.JobRunRunning) })
	}
	wg.Wait()
	won := -1
	for i, err := range errs {
		switch {
		case err == nil && won >= 0:
			t.Fatalf("writers %d and %d both moved the run from RUNNING", won, i)
		case err == nil:
			won = i
		case !errors.Is(err, store.ErrConflict):
			t.Fatalf("writer %d: error = %v, want nil or ErrConflict", i, err)
		}
	}
	if won < 0 {
		t.Fatal("no writer moved the run")
	}
	if got := MustGetJobRun(t, s, vc.ID, run.ID); got.State != targets[won%len(targets)] {
		t.Fatalf("State = %s, want %s (writer %d's)", got.State, targets[won%len(targets)], won)
	}
}

// A writer may apply several legal steps in memory and store them in one
// update, from the state it read: the controller does so when a run has
// both started and ended since it last looked (SUBMITTED, then RUNNING,
// then COMPLETED).
func testUpdateJobRunSeveralSteps(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	for _, steps := range [][]emr.JobRunState{
		{emr.JobRunRunning, emr.JobRunCompleted},
		{emr.JobRunRunning, emr.JobRunFailed},
		{emr.JobRunRunning, emr.JobRunCancelPending, emr.JobRunCancelled},
		{emr.JobRunRunning, emr.JobRunSubmitted, emr.JobRunRunning}, // a retry, seen late
	} {
		run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
		MustMove(t, s, run, emr.JobRunSubmitted)
		for _, to := range steps {
			must(t, run.Apply(emr.Transition{To: to}, Epoch.Add(time.Hour)))
		}
		if err := s.UpdateJobRun(t.Context(), run, emr.JobRunSubmitted); err != nil {
			t.Fatalf("UpdateJobRun(SUBMITTED -> %v) error = %v", steps, err)
		}
		MustEqual(t, MustGetJobRun(t, s, vc.ID, run.ID), run)
	}
}

func testCountAndPendingJobRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("queue", "queue", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("queue", "other", Epoch))
	var gen emr.JobRunIDs
	var pending []*emr.JobRun
	for i := range 5 {
		pending = append(pending, MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "p", Epoch.Add(time.Duration(i)*time.Second))))
	}
	MustCreateJobRun(t, s, NewJobRun(&gen, other.ID, "elsewhere", Epoch))
	running := pending[0]
	running.State = emr.JobRunSubmitted
	must(t, s.UpdateJobRun(ctx, running, emr.JobRunPending))
	for _, tc := range []struct {
		states []emr.JobRunState
		want   int
	}{
		{[]emr.JobRunState{emr.JobRunPending}, 4},
		{[]emr.JobRunState{emr.JobRunSubmitted, emr.JobRunRunning}, 1},
		{nil, 5},
	} {
		if n, err := s.CountJobRuns(ctx, vc.ID, tc.states...); err != nil || n != tc.want {
			t.Errorf("CountJobRuns(%v) = %d, %v; want %d", tc.states, n, err, tc.want)
		}
	}
	head, err := s.PendingJobRuns(ctx, vc.ID, 2)
	if err != nil || len(head) != 2 || head[0].ID != pending[1].ID || head[1].ID != pending[2].ID {
		t.Fatalf("PendingJobRuns(2) = %v, %v; want the two oldest pending", ids(head), err)
	}
}
