package retention_test

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/retention"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/postgres"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

const day = 24 * time.Hour

// engines are the stores the tests run on: SQLite, and PostgreSQL (a
// real server; run these under the heavy-test lock).
var engines = []struct {
	name string
	open func(t *testing.T) store.Store
}{
	{"SQLite", func(t *testing.T) store.Store {
		db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sparkplane.db"))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
	{"PostgreSQL", func(t *testing.T) store.Store {
		db, err := postgres.Open(t.Context(), pgenv.Start(t).NewDatabase(t))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return db
	}},
}

// fixture is a store with runs of every kind and their folders.
type fixture struct {
	st               store.Store
	vc               *emr.VirtualCluster
	expired, kept    []*emr.JobRun
	dirs             retention.Dirs
	now              time.Time
	oldOrphan, fresh string // folders of runs the store does not have
	oldSpool, spool  string
}

// old is a modification time before every cutoff of the tests.
var old = storetest.Epoch.Add(-30 * day)

func newFixture(t *testing.T, st store.Store) *fixture {
	root := t.TempDir()
	f := &fixture{st: st, now: storetest.Epoch.Add(100 * day), dirs: retention.Dirs{
		Runs: []string{filepath.Join(root, "runs"), filepath.Join(root, "eventlogs"), filepath.Join(root, "work")},
		Aged: []string{filepath.Join(root, "logship")}}}
	f.vc = storetest.MustCreateVirtualCluster(t, st, storetest.NewVirtualCluster("eks-1", "ns-"+emr.NewResourceID(), storetest.Epoch))
	var gen emr.JobRunIDs
	add := func(at time.Time, state emr.JobRunState) *emr.JobRun {
		run := storetest.MustCreateJobRun(t, st, storetest.NewJobRun(&gen, f.vc.ID, "r", at))
		storetest.MustMove(t, st, run, state) // finished a minute after at
		for _, dir := range f.dirs.Runs {
			writeFile(t, filepath.Join(dir, f.vc.ID, run.ID, "file"), old)
		}
		return run
	}
	for i, state := range []emr.JobRunState{emr.JobRunCompleted, emr.JobRunFailed, emr.JobRunCancelled, emr.JobRunCompleted, emr.JobRunFailed} {
		f.expired = append(f.expired, add(storetest.Epoch.Add(time.Duration(i)*day), state))
	}
	writeFile(t, filepath.Join(f.dirs.Runs[1], f.vc.ID, f.expired[0].ID+".attempt-2", "app"), time.Time{})
	f.kept = []*emr.JobRun{
		add(f.now.Add(-89*day), emr.JobRunCompleted), // within the 90 days
		add(storetest.Epoch, emr.JobRunRunning),      // old, but active
		add(storetest.Epoch, emr.JobRunPending),
		add(storetest.Epoch, emr.JobRunCancelPending),
	}
	f.oldOrphan, f.fresh = filepath.Join(f.dirs.Runs[2], f.vc.ID, "orphan1"), filepath.Join(f.dirs.Runs[0], f.vc.ID, "orphan2")
	writeFile(t, filepath.Join(f.oldOrphan, "file"), old)
	writeFile(t, filepath.Join(f.fresh, "file"), time.Time{})
	f.oldSpool, f.spool = filepath.Join(f.dirs.Aged[0], "ns_pod1_uid1"), filepath.Join(f.dirs.Aged[0], "ns_pod2_uid2")
	writeFile(t, f.oldSpool, old)
	writeFile(t, f.spool, time.Time{})
	return f
}

// writeFile writes a file (and its folders), last modified at mtime
// (zero: now).
func writeFile(t *testing.T, path string, mtime time.Time) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if !mtime.IsZero() {
		for _, p := range []string{path, filepath.Dir(path)} {
			if err := os.Chtimes(p, mtime, mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func exists(path string) bool {
	_, err := os.Lstat(path)
	return err == nil
}

// A pass with an injected clock removes exactly the runs that finished
// more than the retention period ago, in batches, with their folders;
// active and recent runs keep theirs, as do folders of runs the store
// does not have that are recent; old orphans and old spools go.
func TestPassRemovesExactlyTheExpiredRuns(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			f := newFixture(t, e.open(t))
			purged := map[string]int{}
			p := retention.New(f.st, retention.Options{JobRuns: 90 * day, Usage: 90 * day, CostRollups: 396 * day,
				Batch: 2, Dirs: f.dirs, Now: func() time.Time { return f.now },
				Purged: func(kind string, n int) {
					if n > 2 {
						t.Errorf("a batch of %d %s, want at most 2", n, kind)
					}
					purged[kind] += n
				}})
			res, err := p.Pass(t.Context())
			if err != nil {
				t.Fatalf("Pass() error = %v", err)
			}
			if res.JobRuns != len(f.expired) || purged[retention.KindJobRuns] != len(f.expired) {
				t.Errorf("Pass() removed %d runs (counted %d), want %d", res.JobRuns, purged[retention.KindJobRuns], len(f.expired))
			}
			f.check(t)
			// A second pass finds nothing more.
			if res, err := p.Pass(t.Context()); err != nil || res != (retention.Result{}) {
				t.Errorf("second Pass() = %+v, %v; want nothing removed", res, err)
			}
		})
	}
}

// check asserts what a pass at f.now leaves.
func (f *fixture) check(t *testing.T) {
	t.Helper()
	for _, run := range f.expired {
		_, err := f.st.GetJobRun(t.Context(), f.vc.ID, run.ID)
		storetest.MustBe(t, err, store.ErrNotFound)
		for _, dir := range f.dirs.Runs {
			if p := filepath.Join(dir, f.vc.ID, run.ID); exists(p) {
				t.Errorf("folder %s of purged run left", p)
			}
		}
	}
	if p := filepath.Join(f.dirs.Runs[1], f.vc.ID, f.expired[0].ID+".attempt-2"); exists(p) {
		t.Errorf("event log copy %s of purged run left", p)
	}
	for _, run := range f.kept {
		if got := storetest.MustGetJobRun(t, f.st, f.vc.ID, run.ID); got.State != run.State {
			t.Errorf("run %s is %s, want %s", run.ID, got.State, run.State)
		}
		for _, dir := range f.dirs.Runs {
			if p := filepath.Join(dir, f.vc.ID, run.ID, "file"); !exists(p) {
				t.Errorf("folder of kept run %s (%s) removed", run.ID, run.State)
			}
		}
	}
	for path, want := range map[string]bool{f.oldOrphan: false, f.fresh: true, f.oldSpool: false, f.spool: true} {
		if exists(path) != want {
			t.Errorf("%s exists = %v, want %v", path, !want, want)
		}
	}
}

// While another server holds the retention lease, a pass removes nothing
// from the store (its own old orphans aside); once released, it purges.
func TestPassNeedsTheLease(t *testing.T) {
	for _, e := range engines {
		t.Run(e.name, func(t *testing.T) {
			f := newFixture(t, e.open(t))
			storetest.MustAcquire(t, f.st, retention.LeaseName, "other", time.Hour, true)
			p := retention.New(f.st, retention.Options{JobRuns: 90 * day, Batch: 2, Dirs: f.dirs,
				Leases: f.st, Owner: "me", Now: func() time.Time { return f.now }})
			res, err := p.Pass(t.Context())
			if err != nil || res.JobRuns != 0 {
				t.Fatalf("Pass() under another's lease = %+v, %v; want no run removed", res, err)
			}
			for _, run := range f.expired {
				storetest.MustGetJobRun(t, f.st, f.vc.ID, run.ID)
			}
			if err := f.st.ReleaseLeases(t.Context(), "other", retention.LeaseName); err != nil {
				t.Fatal(err)
			}
			if res, err := p.Pass(t.Context()); err != nil || res.JobRuns != len(f.expired) {
				t.Fatalf("Pass() with the lease = %+v, %v; want %d runs removed", res, err, len(f.expired))
			}
			f.check(t)
			storetest.MustAcquire(t, f.st, retention.LeaseName, "other", time.Hour, false)
		})
	}
}

// A zero period keeps for ever: nothing is removed.
func TestZeroPeriodKeepsForEver(t *testing.T) {
	f := newFixture(t, engines[0].open(t))
	p := retention.New(f.st, retention.Options{Dirs: f.dirs, Now: func() time.Time { return f.now.Add(3650 * day) }})
	if res, err := p.Pass(t.Context()); err != nil || res != (retention.Result{}) {
		t.Fatalf("Pass() = %+v, %v; want nothing removed", res, err)
	}
	for _, run := range slices.Concat(f.expired, f.kept) {
		storetest.MustGetJobRun(t, f.st, f.vc.ID, run.ID)
	}
	if !exists(f.oldOrphan) || !exists(f.oldSpool) {
		t.Error("folders removed with retention off")
	}
}
