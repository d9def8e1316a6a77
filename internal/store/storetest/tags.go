package storetest

import (
	"fmt"
	"maps"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var tagTests = []subtest{
	{"TagAndUntag", testTagAndUntag},
	{"Missing", testTagsMissing},
	{"Limit", testTagLimit},
	{"StateWritesKeepTags", testStateWritesKeepTags},
	{"ConcurrentTagsAndStateChanges", testConcurrentTagsAndStateChanges},
}

func vcRef(id string) emr.ResourceRef {
	return emr.ResourceRef{Kind: emr.KindVirtualCluster, VirtualClusterID: id}
}

func runRef(vcID, id string) emr.ResourceRef {
	return emr.ResourceRef{Kind: emr.KindJobRun, VirtualClusterID: vcID, ID: id}
}

// MustHaveTags fails unless r has exactly want (nil or empty: no tags).
func MustHaveTags(tb testing.TB, s store.Store, r emr.ResourceRef, want map[string]string) {
	tb.Helper()
	got, err := s.Tags(tb.Context(), r)
	if err != nil {
		tb.Fatalf("Tags(%+v) error = %v", r, err)
	}
	if len(want) == 0 {
		want = nil
	}
	MustEqual(tb, got, want)
}

func testTagAndUntag(t *testing.T, s store.Store) {
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "other", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	bare := NewJobRun(&gen, vc.ID, "bare", Epoch)
	bare.Tags = nil
	MustCreateJobRun(t, s, bare)

	for _, r := range []emr.ResourceRef{vcRef(vc.ID), runRef(vc.ID, run.ID), runRef(vc.ID, bare.ID)} {
		want := map[string]string{}
		if r.ID != bare.ID {
			want["team"] = "data"
		}
		MustHaveTags(t, s, r, want)
		if err := s.TagResource(ctx, r, map[string]string{"team": "ml", "cost": "", "env": "prod"}); err != nil {
			t.Fatalf("TagResource(%+v) error = %v", r, err)
		}
		MustHaveTags(t, s, r, map[string]string{"team": "ml", "cost": "", "env": "prod"})
		if err := s.TagResource(ctx, r, map[string]string{}); err != nil {
			t.Fatalf("TagResource(none) error = %v", err)
		}
		if err := s.UntagResource(ctx, r, []string{"env", "absent"}); err != nil {
			t.Fatalf("UntagResource(%+v) error = %v", r, err)
		}
		MustHaveTags(t, s, r, map[string]string{"team": "ml", "cost": ""})
		must(t, s.UntagResource(ctx, r, []string{"team", "cost"}))
		MustHaveTags(t, s, r, nil)
		must(t, s.TagResource(ctx, r, map[string]string{"k": "v"}))
	}

	// Get and List return the current tags.
	want := map[string]string{"k": "v"}
	got, err := s.GetVirtualCluster(ctx, vc.ID)
	must(t, err)
	MustEqual(t, got.Tags, want)
	MustEqual(t, MustGetJobRun(t, s, vc.ID, run.ID).Tags, want)
	runs, _, err := s.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("ListJobRuns() = %v, %v", ids(runs), err)
	}
	for _, r := range runs {
		MustEqual(t, r.Tags, want)
	}
	vcs, _, err := s.ListVirtualClusters(ctx, store.VirtualClusterFilter{}, store.Page{})
	must(t, err)
	for _, v := range vcs {
		if v.ID == vc.ID {
			MustEqual(t, v.Tags, want)
		} else {
			MustEqual(t, v.Tags, other.Tags) // untouched
		}
	}
}

func testTagsMissing(t *testing.T, s store.Store) {
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "other", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	for _, r := range []emr.ResourceRef{
		vcRef(emr.NewResourceID()),
		runRef(vc.ID, gen.Next(Epoch)),
		runRef(other.ID, run.ID), // a run of another cluster
		{Kind: emr.KindEndpoint, VirtualClusterID: vc.ID, ID: "e"},
		{Kind: "nothing", VirtualClusterID: vc.ID},
	} {
		_, err := s.Tags(ctx, r)
		MustBe(t, err, store.ErrNotFound)
		MustBe(t, s.TagResource(ctx, r, map[string]string{"a": "b"}), store.ErrNotFound)
		MustBe(t, s.UntagResource(ctx, r, []string{"a"}), store.ErrNotFound)
	}
	MustHaveTags(t, s, runRef(vc.ID, run.ID), run.Tags)
}

func testTagLimit(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch)) // has 1 tag
	r := vcRef(vc.ID)
	tags := map[string]string{}
	for i := range emr.MaxTags - 1 {
		tags[fmt.Sprint("k", i)] = "v"
	}
	if err := s.TagResource(ctx, r, tags); err != nil {
		t.Fatalf("TagResource(to %d) error = %v", emr.MaxTags, err)
	}
	full := maps.Clone(tags)
	full["team"] = "data"
	MustBe(t, s.TagResource(ctx, r, map[string]string{"one": "more"}), store.ErrTooManyTags)
	MustHaveTags(t, s, r, full)
	// Replacing values at the limit is fine.
	if err := s.TagResource(ctx, r, map[string]string{"team": "ml", "k0": "w"}); err != nil {
		t.Fatalf("TagResource(replace at the limit) error = %v", err)
	}
}

// Writes of the state (which rewrite the rest of the resource) leave the
// tags as they are, even from a copy read before the tags changed.
func testStateWritesKeepTags(t *testing.T, s store.Store) {
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	stale := MustGetJobRun(t, s, vc.ID, run.ID) // the controller's copy
	must(t, s.TagResource(ctx, runRef(vc.ID, run.ID), map[string]string{"added": "later"}))
	must(t, s.UntagResource(ctx, runRef(vc.ID, run.ID), []string{"team"}))
	must(t, stale.Apply(emr.Transition{To: emr.JobRunSubmitted}, Epoch))
	must(t, s.UpdateJobRun(ctx, stale, emr.JobRunPending))
	got := MustGetJobRun(t, s, vc.ID, run.ID)
	if got.State != emr.JobRunSubmitted {
		t.Errorf("State = %s, want SUBMITTED", got.State)
	}
	MustEqual(t, got.Tags, map[string]string{"added": "later"})

	must(t, s.TagResource(ctx, vcRef(vc.ID), map[string]string{"added": "later"}))
	must(t, s.SetVirtualClusterState(ctx, vc.ID, emr.VirtualClusterTerminated))
	MustHaveTags(t, s, vcRef(vc.ID), map[string]string{"team": "data", "added": "later"})
}

// Tag writers and a state writer working on one run at once: every tag
// and the last state are there at the end.
func testConcurrentTagsAndStateChanges(t *testing.T, s store.Store) {
	const taggers = 8
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "pi", Epoch))
	r := runRef(vc.ID, run.ID)
	var wg sync.WaitGroup
	errs := make(chan error, taggers*5+4)
	wg.Go(func() {
		for _, to := range []emr.JobRunState{emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunCompleted} {
			cur, err := s.GetJobRun(ctx, vc.ID, run.ID)
			if err != nil {
				errs <- err
				return
			}
			from := cur.State
			if err := cur.Apply(emr.Transition{To: to}, Epoch.Add(time.Minute)); err != nil {
				errs <- err
				return
			}
			if err := s.UpdateJobRun(ctx, cur, from); err != nil {
				errs <- err
			}
		}
	})
	for i := range taggers {
		wg.Go(func() {
			for j := range 5 {
				if err := s.TagResource(ctx, r, map[string]string{fmt.Sprintf("t%d-%d", i, j): "v"}); err != nil {
					errs <- err
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	got := MustGetJobRun(t, s, vc.ID, run.ID)
	if got.State != emr.JobRunCompleted || len(got.Tags) != taggers*5+1 {
		t.Fatalf("state %s with %d tags, want COMPLETED with %d: %v", got.State, len(got.Tags), taggers*5+1, got.Tags)
	}
}
