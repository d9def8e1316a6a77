package storetest

import (
	"slices"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var jobRunCountTests = []subtest{
	{"ByClusterAndState", testJobRunCounts},
}

// JobRunCounts groups every run by virtual cluster and state, sorted.
func testJobRunCounts(t *testing.T, s store.Store) {
	if got, err := s.JobRunCounts(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("JobRunCounts() of an empty store = %v, %v; want none", got, err)
	}
	a := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "a", Epoch))
	b := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "b", Epoch))
	MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "empty", Epoch))
	var gen emr.JobRunIDs
	in := func(vcID string, state emr.JobRunState, n int) {
		for range n {
			run := MustCreateJobRun(t, s, NewJobRun(&gen, vcID, "r", Epoch))
			MustMove(t, s, run, state)
		}
	}
	in(a.ID, emr.JobRunPending, 3)
	in(a.ID, emr.JobRunRunning, 1)
	in(a.ID, emr.JobRunCompleted, 2)
	in(b.ID, emr.JobRunFailed, 1)
	in(b.ID, emr.JobRunPending, 1)
	want := []store.JobRunCount{
		{VirtualClusterID: a.ID, State: emr.JobRunCompleted, Count: 2},
		{VirtualClusterID: a.ID, State: emr.JobRunPending, Count: 3},
		{VirtualClusterID: a.ID, State: emr.JobRunRunning, Count: 1},
		{VirtualClusterID: b.ID, State: emr.JobRunFailed, Count: 1},
		{VirtualClusterID: b.ID, State: emr.JobRunPending, Count: 1},
	}
	slices.SortFunc(want, func(x, y store.JobRunCount) int {
		if x.VirtualClusterID != y.VirtualClusterID {
			return strings.Compare(x.VirtualClusterID, y.VirtualClusterID)
		}
		return strings.Compare(string(x.State), string(y.State))
	})
	got, err := s.JobRunCounts(t.Context())
	if err != nil {
		t.Fatalf("JobRunCounts() error = %v", err)
	}
	if !slices.Equal(got, want) {
		t.Fatalf("JobRunCounts() = %v, want %v", got, want)
	}
}
