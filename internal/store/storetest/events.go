package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var eventTests = []subtest{
	{"EveryStateChangeInOrder", testEventsInOrder},
	{"SeveralStepsInOneUpdate", testEventsOfSeveralSteps},
	{"NoneForWhatDidNotHappen", testNoEventsWithoutChange},
	{"ByVirtualCluster", testEventsByCluster},
	{"ConcurrentWritersLoseNothing", testEventsConcurrentWriters},
	{"DeliveryCursor", testDeliveryCursor},
	{"Prune", testPruneEvents},
}

// MustEvents reads every event after cursor after (of the given clusters
// when vcIDs is not nil) and fails the test on error.
func MustEvents(tb testing.TB, s store.Store, after int64, vcIDs []string) []store.JobRunEvent {
	tb.Helper()
	var out []store.JobRunEvent
	for {
		page, err := s.JobRunEvents(tb.Context(), after, 7, vcIDs)
		if err != nil {
			tb.Fatalf("JobRunEvents(%d) error = %v", after, err)
		}
		if len(page) == 0 {
			return out
		}
		for _, e := range page {
			if e.Cursor <= after {
				tb.Fatalf("JobRunEvents(%d) returned cursor %d", after, e.Cursor)
			}
			after = e.Cursor
		}
		out = append(out, page...)
	}
}

// statesOf returns the states of run id's events, in order, and checks
// that their sequence numbers count from 1.
func statesOf(tb testing.TB, events []store.JobRunEvent, id string) []emr.JobRunState {
	tb.Helper()
	var states []emr.JobRunState
	for _, e := range events {
		if e.Change.ID != id {
			continue
		}
		states = append(states, e.Change.State)
		if e.Change.Sequence != int64(len(states)) {
			tb.Fatalf("event %d of run %s has sequence %d", len(states), id, e.Change.Sequence)
		}
	}
	return states
}

func testEventsInOrder(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	MustMove(t, s, run, emr.JobRunRunning)
	must(t, run.Apply(emr.Transition{To: emr.JobRunFailed, Reason: emr.FailureUser, Details: "exit 1"}, Epoch.Add(time.Hour)))
	must(t, s.UpdateJobRun(t.Context(), run, emr.JobRunRunning))
	if run.Changes != nil {
		t.Errorf("Changes = %v after UpdateJobRun, want none", run.Changes)
	}

	events := MustEvents(t, s, 0, nil)
	want := []emr.JobRunState{emr.JobRunPending, emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunFailed}
	if got := statesOf(t, events, run.ID); !slices.Equal(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	last := events[len(events)-1]
	wantDetail := emr.JobRunStateChange{
		VirtualClusterID: vc.ID, ID: run.ID, Name: "pi", State: emr.JobRunFailed,
		FailureReason: emr.FailureUser, StateDetails: "exit 1", CreatedBy: run.CreatedBy,
		ReleaseLabel: run.ReleaseLabel, ExecutionRoleARN: run.ExecutionRoleARN, Sequence: 4,
	}
	MustEqual(t, last.Change, wantDetail)
	if last.ARN != run.ARN || !last.Time.Equal(Epoch.Add(time.Hour)) {
		t.Errorf("last event ARN, Time = %s, %v; want %s, %v", last.ARN, last.Time, run.ARN, Epoch.Add(time.Hour))
	}
	ev := last.Event()
	if ev.DetailType != emr.JobRunStateChangeType || ev.Source != emr.EventSource || ev.Account != "123456789012" ||
		ev.Region != "us-east-1" || !slices.Equal(ev.Resources, []string{run.ARN}) {
		t.Errorf("Event() = %+v", ev)
	}
	if n, err := s.LastJobRunEvent(t.Context()); err != nil || n != last.Cursor {
		t.Errorf("LastJobRunEvent() = %d, %v; want %d", n, err, last.Cursor)
	}
}

// Steps applied in memory and written at once are each an event.
func testEventsOfSeveralSteps(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	MustMove(t, s, run, emr.JobRunSubmitted)
	for _, to := range []emr.JobRunState{emr.JobRunRunning, emr.JobRunCompleted} {
		must(t, run.Apply(emr.Transition{To: to, Details: "now " + string(to)}, Epoch.Add(time.Hour)))
	}
	must(t, s.UpdateJobRun(t.Context(), run, emr.JobRunSubmitted))
	events := MustEvents(t, s, 0, nil)
	want := []emr.JobRunState{emr.JobRunPending, emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunCompleted}
	if got := statesOf(t, events, run.ID); !slices.Equal(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
	if d := events[2].Change.StateDetails; d != "now RUNNING" {
		t.Errorf("RUNNING event's stateDetails = %q, want the details it had then", d)
	}
}

// A write that loses, or does not change the state, appends nothing; nor
// does a refused creation.
func testNoEventsWithoutChange(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	stale := *run
	must(t, stale.Apply(emr.Transition{To: emr.JobRunCancelPending}, Epoch))
	MustMove(t, s, run, emr.JobRunSubmitted)
	MustBe(t, s.UpdateJobRun(t.Context(), &stale, emr.JobRunPending), store.ErrConflict)

	run.StateDetails = "same state, new details"
	must(t, s.UpdateJobRun(t.Context(), run, emr.JobRunSubmitted))

	_, err := s.CreateJobRun(t.Context(), run, NoIdempotency) // the id is taken
	MustBe(t, err, store.ErrConflict)

	want := []emr.JobRunState{emr.JobRunPending, emr.JobRunSubmitted}
	if got := statesOf(t, MustEvents(t, s, 0, nil), run.ID); !slices.Equal(got, want) {
		t.Fatalf("states = %v, want %v", got, want)
	}
}

func testEventsByCluster(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	one := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "one", Epoch))
	two := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "two", Epoch))
	a := MustCreateJobRun(t, s, NewJobRun(&gen, one.ID, "a", Epoch))
	b := MustCreateJobRun(t, s, NewJobRun(&gen, two.ID, "b", Epoch))
	MustMove(t, s, a, emr.JobRunSubmitted)
	MustMove(t, s, b, emr.JobRunSubmitted)

	for _, tc := range []struct {
		vcIDs []string
		want  int
	}{{nil, 4}, {[]string{one.ID}, 2}, {[]string{two.ID, one.ID}, 4}, {[]string{}, 0}, {[]string{"none"}, 0}} {
		got := MustEvents(t, s, 0, tc.vcIDs)
		if len(got) != tc.want {
			t.Errorf("JobRunEvents(%v) = %d events, want %d", tc.vcIDs, len(got), tc.want)
		}
		for _, e := range got {
			if tc.vcIDs != nil && !slices.Contains(tc.vcIDs, e.Change.VirtualClusterID) {
				t.Errorf("JobRunEvents(%v) returned an event of %s", tc.vcIDs, e.Change.VirtualClusterID)
			}
		}
	}
}

// A reader that follows the outbox while many writers append to it sees
// every event, each run's in order: no event commits behind its cursor.
func testEventsConcurrentWriters(t *testing.T, s store.Store) {
	const runs = 24
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	stop := make(chan struct{})
	seen := map[string][]int64{}
	var reader sync.WaitGroup
	reader.Go(func() {
		var after int64
		for done := false; ; {
			select {
			case <-stop:
				done = true
			default:
			}
			page, err := s.JobRunEvents(t.Context(), after, 50, nil)
			if err != nil {
				t.Errorf("JobRunEvents() error = %v", err)
				return
			}
			for _, e := range page {
				seen[e.Change.ID] = append(seen[e.Change.ID], e.Change.Sequence)
				after = e.Cursor
			}
			if done && len(page) == 0 {
				return
			}
		}
	})
	var writers sync.WaitGroup
	for i := range runs {
		run := NewJobRun(&gen, vc.ID, fmt.Sprint("run-", i), Epoch.Add(time.Duration(i)*time.Millisecond))
		writers.Go(func() {
			if _, err := s.CreateJobRun(t.Context(), run, NoIdempotency); err != nil {
				t.Errorf("CreateJobRun() error = %v", err)
				return
			}
			for _, to := range []emr.JobRunState{emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunCompleted} {
				from := run.State
				if err := run.Apply(emr.Transition{To: to}, Epoch); err != nil {
					t.Error(err)
					return
				}
				if err := s.UpdateJobRun(t.Context(), run, from); err != nil {
					t.Errorf("UpdateJobRun() error = %v", err)
					return
				}
			}
		})
	}
	writers.Wait()
	close(stop)
	reader.Wait()
	if len(seen) != runs {
		t.Fatalf("the reader saw events of %d runs, want %d", len(seen), runs)
	}
	for id, seqs := range seen {
		if !slices.Equal(seqs, []int64{1, 2, 3, 4}) {
			t.Errorf("run %s: the reader saw sequence numbers %v, want [1 2 3 4]", id, seqs)
		}
	}
}

func testDeliveryCursor(t *testing.T, s store.Store) {
	ctx := t.Context()
	if c, err := s.DeliveryCursor(ctx, "audit"); err != nil || c != 0 {
		t.Fatalf("DeliveryCursor(new) = %d, %v; want 0, nil", c, err)
	}
	must(t, s.SetDeliveryCursor(ctx, "audit", 5))
	must(t, s.SetDeliveryCursor(ctx, "audit", 3)) // never back
	must(t, s.SetDeliveryCursor(ctx, "other", 1))
	if c, err := s.DeliveryCursor(ctx, "audit"); err != nil || c != 5 {
		t.Fatalf("DeliveryCursor(audit) = %d, %v; want 5, nil", c, err)
	}
	must(t, s.SetDeliveryCursor(ctx, "audit", 9))
	if c, err := s.DeliveryCursor(ctx, "audit"); err != nil || c != 9 {
		t.Fatalf("DeliveryCursor(audit) = %d, %v; want 9, nil", c, err)
	}
	if c, err := s.DeliveryCursor(ctx, "other"); err != nil || c != 1 {
		t.Fatalf("DeliveryCursor(other) = %d, %v; want 1, nil", c, err)
	}
}

// Pruning removes old events that every destination has taken, and no other.
func testPruneEvents(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	old := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "old", Epoch))
	must(t, old.Apply(emr.Transition{To: emr.JobRunSubmitted}, Epoch)) // at Epoch
	must(t, s.UpdateJobRun(t.Context(), old, emr.JobRunPending))
	recent := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "recent", Epoch)) // now
	events := MustEvents(t, s, 0, nil)
	if len(events) != 3 {
		t.Fatalf("%d events, want 3", len(events))
	}
	cutoff := time.Now().Add(-time.Hour)
	// Only the second is both old and taken: the PENDING of "old" is
	// stamped when it was written, its SUBMITTED at Epoch.
	n, err := s.PruneJobRunEvents(t.Context(), cutoff, events[1].Cursor)
	must(t, err)
	if n != 1 {
		t.Fatalf("PruneJobRunEvents() = %d, want 1", n)
	}
	left := MustEvents(t, s, 0, nil)
	if len(left) != 2 || left[0].Cursor != events[0].Cursor || left[1].Change.ID != recent.ID {
		t.Fatalf("left %+v", left)
	}
}
