package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var retentionTests = []subtest{
	{"PurgeFinishedJobRuns", testPurgeFinishedJobRuns},
	{"PurgeUsageKeepsReports", testPurgeUsageKeepsReports},
	{"PurgeRollups", testPurgeRollups},
}

// keptRun is a run of the retention tests, with what the store keeps about
// it besides its row.
type keptRun struct {
	run  *emr.JobRun
	idem store.Idempotency
}

// newKeptRun stores a run created at createdAt (with a clientToken), moved
// to state a minute later, with a log, a lease, an ended usage record and
// its events.
func newKeptRun(t *testing.T, s store.Store, gen *emr.JobRunIDs, vcID string, createdAt time.Time, state emr.JobRunState) keptRun {
	t.Helper()
	ctx := t.Context()
	run := NewJobRun(gen, vcID, "kept", createdAt)
	idem := store.Idempotency{Scope: "StartJobRun/" + vcID, Token: run.ClientToken, Hash: "hash-" + run.ID}
	if _, err := s.CreateJobRun(ctx, run, idem); err != nil {
		t.Fatalf("CreateJobRun() error = %v", err)
	}
	MustMove(t, s, run, state)
	must(t, s.PutJobRunLog(ctx, vcID, run.ID, 1, "stdout", []byte("log of "+run.ID)))
	MustAcquire(t, s, "jobrun/"+vcID+"/"+run.ID, "server-a", time.Hour, true)
	u := NewUsage(run, "driver-"+run.ID, createdAt)
	u.End = createdAt.Add(30 * time.Second)
	MustRecordUsage(t, s, u)
	return keptRun{run: run, idem: idem}
}

// PurgeFinishedJobRuns removes, oldest finished first and at most limit at
// a time, exactly the runs COMPLETED, FAILED or CANCELLED before the
// cutoff, with their events, logs, lease, clientToken record and usage
// records; runs still active, however old, and those that finished since
// keep all of theirs.
func testPurgeFinishedJobRuns(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("eks-1", "ns-"+emr.NewResourceID(), Epoch))
	var gen emr.JobRunIDs
	// Finished at createdAt + 1m (MustMove).
	expired := []keptRun{
		newKeptRun(t, s, &gen, vc.ID, secs(0), emr.JobRunCompleted),
		newKeptRun(t, s, &gen, vc.ID, secs(10), emr.JobRunFailed),
		newKeptRun(t, s, &gen, vc.ID, secs(20), emr.JobRunCancelled),
	}
	cutoff := secs(20).Add(time.Minute + time.Millisecond)
	kept := []keptRun{
		newKeptRun(t, s, &gen, vc.ID, secs(25), emr.JobRunCompleted), // finished after the cutoff
		newKeptRun(t, s, &gen, vc.ID, secs(1), emr.JobRunRunning),    // old, but active
		newKeptRun(t, s, &gen, vc.ID, secs(2), emr.JobRunPending),
		newKeptRun(t, s, &gen, vc.ID, secs(3), emr.JobRunCancelPending),
	}
	var got []store.RunRef
	for _, limit := range []int{2, 2, 2} {
		batch, err := s.PurgeFinishedJobRuns(ctx, cutoff, limit)
		if err != nil {
			t.Fatalf("PurgeFinishedJobRuns() error = %v", err)
		}
		if len(batch) > limit {
			t.Fatalf("PurgeFinishedJobRuns(limit %d) removed %d runs", limit, len(batch))
		}
		got = append(got, batch...)
	}
	var want []store.RunRef
	for _, k := range expired {
		want = append(want, store.RunRef{VirtualClusterID: vc.ID, ID: k.run.ID})
	}
	if !slices.Equal(got, want) {
		t.Fatalf("purged %v, want %v (oldest finished first)", got, want)
	}
	events := MustEvents(t, s, 0, nil)
	for _, k := range expired {
		id := k.run.ID
		_, err := s.GetJobRun(ctx, vc.ID, id)
		MustBe(t, err, store.ErrNotFound)
		_, err = s.JobRunLog(ctx, vc.ID, id, 1, "stdout")
		MustBe(t, err, store.ErrNotFound)
		if n := len(statesOf(t, events, id)); n != 0 {
			t.Errorf("run %s: %d events left", id, n)
		}
		if u := MustUsage(t, s, Epoch.Add(-time.Hour), Epoch.Add(time.Hour)); slices.ContainsFunc(u, func(u cost.Usage) bool { return u.JobRunID == id }) {
			t.Errorf("run %s: usage records left", id)
		}
		// Its lease is gone: another server takes it at once.
		MustAcquire(t, s, "jobrun/"+vc.ID+"/"+id, "server-b", time.Hour, true)
		// Its clientToken is forgotten: the same request starts a new run.
		again := NewJobRun(&gen, vc.ID, "again", secs(100))
		again.ClientToken = k.run.ClientToken
		created, err := s.CreateJobRun(ctx, again, k.idem)
		if err != nil || created.ID != again.ID {
			t.Fatalf("CreateJobRun(token of a purged run) = %v, %v; want the new run %s", created, err, again.ID)
		}
	}
	for _, k := range kept {
		id := k.run.ID
		MustEqual(t, MustGetJobRun(t, s, vc.ID, id).State, k.run.State)
		if _, err := s.JobRunLog(ctx, vc.ID, id, 1, "stdout"); err != nil {
			t.Errorf("run %s: JobRunLog() error = %v", id, err)
		}
		if len(statesOf(t, events, id)) == 0 {
			t.Errorf("run %s: events removed", id)
		}
		MustAcquire(t, s, "jobrun/"+vc.ID+"/"+id, "server-b", time.Hour, false)
		replay, err := s.CreateJobRun(ctx, NewJobRun(&gen, vc.ID, "replay", secs(100)), k.idem)
		if err != nil || replay.ID != id {
			t.Fatalf("CreateJobRun(token of a kept run) = %v, %v; want the replay of %s", replay, err, id)
		}
		if !slices.ContainsFunc(MustUsage(t, s, Epoch.Add(-time.Hour), Epoch.Add(time.Hour)), func(u cost.Usage) bool { return u.JobRunID == id }) {
			t.Errorf("run %s: usage records removed", id)
		}
	}
	// Nothing left before the cutoff.
	if batch, err := s.PurgeFinishedJobRuns(ctx, cutoff, 100); err != nil || len(batch) != 0 {
		t.Fatalf("PurgeFinishedJobRuns() again = %v, %v; want none", batch, err)
	}
}

// rollableReport is a report over [from, to) that the daily rollups answer
// (grouped by virtual cluster, tag, component and day; idle cost included).
func rollableReport(t *testing.T, s store.Store, from, to time.Time) *cost.Report {
	t.Helper()
	dims, err := cost.ParseGroupBy("virtualCluster,tag:team,component,day")
	must(t, err)
	q := cost.Query{From: from, To: to, GroupBy: dims, Idle: true}
	var rep *cost.Report
	if err := s.ReadMetering(t.Context(), func(src cost.Source) error {
		rep, err = cost.Build(q, cost.DefaultPricing(), rollupDay0.Add(100*time.Hour), src)
		return err
	}); err != nil {
		t.Fatalf("ReadMetering() error = %v", err)
	}
	return rep
}

// Once the raw usage records are purged, a report over whole days
// answers as before, from the daily rollups; records still running and
// those that ended after the cutoff are kept.
func testPurgeUsageKeepsReports(t *testing.T, s store.Store) {
	ctx := t.Context()
	WriteRollupFixture(t, s)
	from, to := rollupDay0, rollupDay0.Add(72*time.Hour)
	before := rollupDay0.Add(200 * time.Hour) // after every record's end
	want := rollableReport(t, s, from, to)
	all := MustUsage(t, s, from.Add(-time.Hour), before)
	var running int
	for _, u := range all {
		if u.End.IsZero() {
			running++
		}
	}
	cut := rollupDay0.Add(40 * time.Hour) // first purge only what ended before this
	endedBefore := 0
	for _, u := range all {
		if !u.End.IsZero() && u.End.Before(cut) {
			endedBefore++
		}
	}
	purged := 0
	for {
		n, err := s.PurgeUsage(ctx, cut, 7)
		if err != nil {
			t.Fatalf("PurgeUsage() error = %v", err)
		}
		if n > 7 {
			t.Fatalf("PurgeUsage(limit 7) removed %d", n)
		}
		if n == 0 {
			break
		}
		purged += n
	}
	if purged != endedBefore {
		t.Fatalf("PurgeUsage(%s) removed %d records, want the %d that ended before", cut, purged, endedBefore)
	}
	for _, u := range MustUsage(t, s, from.Add(-time.Hour), before) {
		if !u.End.IsZero() && u.End.Before(cut) {
			t.Fatalf("record %s ended %s, before the cutoff, is left", u.Pod, u.End)
		}
	}
	for {
		n, err := s.PurgeUsage(ctx, before, 1000)
		must(t, err)
		if n == 0 {
			break
		}
	}
	if left := MustUsage(t, s, from.Add(-time.Hour), before); len(left) != running {
		t.Fatalf("%d records left, want the %d still running", len(left), running)
	}
	if d := compareReports(rollableReport(t, s, from, to), want); d != "" {
		t.Fatalf("report over whole days after the records were purged differs: %s", d)
	}
}

// PurgeRollups removes the rollups of the days that ended by the cutoff,
// a day at a time, and keeps the later days'.
func testPurgeRollups(t *testing.T, s store.Store) {
	ctx := t.Context()
	WriteRollupFixture(t, s)
	day0 := rollupDay0.Unix() / 86400
	days := func() map[int64]bool {
		seen := map[int64]bool{}
		must(t, s.ReadMetering(ctx, func(src cost.Source) error {
			for d, err := range src.Daily(day0-2, day0+10) {
				if err != nil {
					return err
				}
				seen[d.Day] = true
			}
			for n, err := range src.NodeDaily(day0-2, day0+10) {
				if err != nil {
					return err
				}
				seen[n.Day] = true
			}
			return nil
		}))
		return seen
	}
	before := days()
	if !before[day0] || !before[day0+1] || !before[day0+2] {
		t.Fatalf("fixture rolls up days %v, want %d..%d", before, day0, day0+2)
	}
	cutoff := rollupDay0.Add(36 * time.Hour) // day0 has ended, day0+1 not
	for i := 0; ; i++ {
		n, err := s.PurgeRollups(ctx, cutoff, 100)
		must(t, err)
		if n == 0 {
			break
		}
		if i > 10 {
			t.Fatal("PurgeRollups() never ends")
		}
	}
	after := days()
	if after[day0] {
		t.Errorf("day %d (ended before the cutoff) still rolled up", day0)
	}
	for d := range before {
		if d > day0 && !after[d] {
			t.Errorf("day %d (after the cutoff) lost its rollups", d)
		}
	}
	// n2 was last seen at day0+50h, after the cutoff; every other node is up.
	if got := MustNodes(t, s, rollupDay0, rollupDay0.Add(72*time.Hour)); len(got) != 4 {
		t.Errorf("%d nodes left, want 4", len(got))
	}
	must(t, func() error { _, err := s.PurgeRollups(ctx, rollupDay0.Add(51*time.Hour), 100); return err }())
	if got := MustNodes(t, s, rollupDay0, rollupDay0.Add(72*time.Hour)); len(got) != 3 {
		t.Errorf("%d nodes left after n2's last sight, want 3", len(got))
	}
}
