package storetest

import (
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// A PENDING run waiting for capacity gets new stateDetails with its state
// unchanged: written, guarded by its state, and no event.
func testWaitingDetails(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	before := len(MustEvents(t, s, 0, nil))
	waiting := *run
	waiting.StateDetails = "Waiting for capacity."
	must(t, s.UpdateJobRun(t.Context(), &waiting, emr.JobRunPending))
	got := MustGetJobRun(t, s, vc.ID, run.ID)
	if got.State != emr.JobRunPending || got.StateDetails != "Waiting for capacity." {
		t.Fatalf("stored %s %q, want PENDING %q", got.State, got.StateDetails, waiting.StateDetails)
	}
	if n := len(MustEvents(t, s, 0, nil)); n != before {
		t.Errorf("%d events after a details-only write, want %d", n, before)
	}
	if head, err := s.PendingJobRuns(t.Context(), vc.ID, 1); err != nil || len(head) != 1 || head[0].ID != run.ID {
		t.Errorf("PendingJobRuns() = %v, %v; want the run still queued", head, err)
	}
	MustMove(t, s, got, emr.JobRunSubmitted)
	stale := waiting
	MustBe(t, s.UpdateJobRun(t.Context(), &stale, emr.JobRunPending), store.ErrConflict)
}
