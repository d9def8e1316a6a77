package sqlite_test

import (
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
)

// MustOpen opens the store at path; the caller closes it.
func MustOpen(tb testing.TB, path string) *sqlite.DB {
	tb.Helper()
	db, err := sqlite.Open(tb.Context(), path)
	if err != nil {
		tb.Fatalf("Open(%s) error = %v", path, err)
	}
	return db
}

// MustClose closes db and fails the test on error.
func MustClose(tb testing.TB, db *sqlite.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close() error = %v", err)
	}
}

func TestConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		return MustOpen(t, filepath.Join(t.TempDir(), "sparkplane.db"))
	})
}

// schema reads, behind the store's back, what the migrations made.
func schema(tb testing.TB, path string) (versions []int, objects map[string]string) {
	tb.Helper()
	raw, err := sql.Open("sqlite", "file:"+(&url.URL{Path: path}).EscapedPath()+"?mode=ro")
	if err != nil {
		tb.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(tb.Context(), `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			tb.Fatal(err)
		}
		versions = append(versions, v)
	}
	if err := rows.Err(); err != nil {
		tb.Fatal(err)
	}
	objects = map[string]string{}
	rows2, err := raw.QueryContext(tb.Context(), `SELECT name, COALESCE(sql, '') FROM sqlite_master`)
	if err != nil {
		tb.Fatal(err)
	}
	defer rows2.Close()
	for rows2.Next() {
		var name, def string
		if err := rows2.Scan(&name, &def); err != nil {
			tb.Fatal(err)
		}
		objects[name] = def
	}
	return versions, objects
}

// Everything written survives Close and Open, and opening again changes
// nothing in the schema.
func TestDurability(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparkplane.db")
	ctx := t.Context()
	var gen emr.JobRunIDs

	db := MustOpen(t, path)
	vc := storetest.MustCreateVirtualCluster(t, db, storetest.NewVirtualCluster("prod", "spark", storetest.Epoch))
	gone := storetest.MustCreateVirtualCluster(t, db, storetest.NewVirtualCluster("prod", "old", storetest.Epoch))
	if err := db.SetVirtualClusterState(ctx, gone.ID, emr.VirtualClusterTerminated); err != nil {
		t.Fatal(err)
	}
	idem := store.Idempotency{Scope: "StartJobRun/" + vc.ID, Token: "tok", Hash: "h"}
	active, err := db.CreateJobRun(ctx, storetest.NewJobRun(&gen, vc.ID, "active", storetest.Epoch), idem)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustMove(t, db, active, emr.JobRunRunning)
	done := storetest.MustCreateJobRun(t, db, storetest.NewJobRun(&gen, vc.ID, "done", storetest.Epoch.Add(time.Second)))
	storetest.MustMove(t, db, done, emr.JobRunCompleted)
	MustClose(t, db)
	versions, objects := schema(t, path)

	for round := range 3 {
		db := MustOpen(t, path)
		got, err := db.GetVirtualCluster(ctx, vc.ID)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		storetest.MustEqual(t, got, vc)
		if got, err := db.GetVirtualCluster(ctx, gone.ID); err != nil || got.State != emr.VirtualClusterTerminated {
			t.Fatalf("round %d: terminated cluster = %+v, %v", round, got, err)
		}
		storetest.MustEqual(t, storetest.MustGetJobRun(t, db, vc.ID, active.ID), active)
		storetest.MustEqual(t, storetest.MustGetJobRun(t, db, vc.ID, done.ID), done)
		runs, next, err := db.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 1})
		if err != nil || len(runs) != 1 || runs[0].ID != done.ID || next == "" {
			t.Fatalf("round %d: first page = %v, %q, %v", round, runs, next, err)
		}
		if act, err := db.ActiveJobRuns(ctx); err != nil || len(act) != 1 || act[0].ID != active.ID {
			t.Fatalf("round %d: ActiveJobRuns() = %v, %v; want %s", round, act, err, active.ID)
		}
		// The clientToken is remembered too.
		replay, err := db.CreateJobRun(ctx, storetest.NewJobRun(&gen, vc.ID, "active", storetest.Epoch), idem)
		if err != nil || replay.ID != active.ID {
			t.Fatalf("round %d: replay = %+v, %v; want %s", round, replay, err, active.ID)
		}
		// The namespace is still held.
		if _, err := db.CreateVirtualCluster(ctx, storetest.NewVirtualCluster("prod", "spark", storetest.Epoch), store.Idempotency{}); err == nil {
			t.Fatalf("round %d: a second cluster on a held namespace was created", round)
		}
		MustClose(t, db)

		v, o := schema(t, path)
		if fmt.Sprint(v) != fmt.Sprint(versions) || fmt.Sprint(o) != fmt.Sprint(objects) {
			t.Fatalf("round %d: reopening changed the schema:\n%v %v\nwas\n%v %v", round, v, o, versions, objects)
		}
	}
	if len(versions) == 0 || versions[0] != 1 {
		t.Errorf("schema_migrations = %v, want it to start at 1", versions)
	}
}

// Paths are files, not URIs: characters that mean something in a URI
// name the file as they are.
func TestOpenOddPath(t *testing.T) {
	for _, name := range []string{"a#b.db", "50%.db", "50%25.db", "what?.db", "sp ace.db", "a&_pragma=x.db", "日本.db", "dir #1?/x.db"} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), name)
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				t.Fatal(err)
			}
			db := MustOpen(t, path)
			vc := storetest.MustCreateVirtualCluster(t, db, storetest.NewVirtualCluster("prod", "spark", storetest.Epoch))
			MustClose(t, db)
			if _, err := os.Stat(path); err != nil {
				t.Fatalf("the database is not at %s: %v", path, err)
			}
			db = MustOpen(t, path)
			defer MustClose(t, db)
			if _, err := db.GetVirtualCluster(t.Context(), vc.ID); err != nil {
				t.Fatalf("after reopening %s: %v", path, err)
			}
		})
	}
}

// Servers starting together on an empty database all migrate it without
// error, each migration applied once. (The file is put in WAL mode first:
// SQLite does not wait for a lock while switching a new file to WAL, so
// openers that race on that step can still fail with SQLITE_BUSY.)
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparkplane.db")
	raw, err := sql.Open("sqlite", "file:"+path+"?_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	if err := raw.PingContext(t.Context()); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	const n = 8
	var (
		wg   sync.WaitGroup
		dbs  = make([]*sqlite.DB, n)
		errs = make([]error, n)
	)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = sqlite.Open(t.Context(), path) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Open %d: %v", i, errs[i])
			continue
		}
		MustClose(t, dbs[i])
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	if versions, _ := schema(t, path); len(versions) != len(files) {
		t.Errorf("schema_migrations = %v, want each of the %d migrations once", versions, len(files))
	}
}

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	notDB := filepath.Join(dir, "not.db")
	if err := os.WriteFile(notDB, []byte("this is not a database, just text long enough to have a header"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{filepath.Join(dir, "missing", "dir", "db"), notDB, dir} {
		if db, err := sqlite.Open(t.Context(), path); err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded, want an error", path)
		}
	}
}

func BenchmarkQueuedVirtualClusters(b *testing.B) {
	db := MustOpen(b, filepath.Join(b.TempDir(), "sparkplane.db"))
	defer MustClose(b, db)
	storetest.BenchQueuedVirtualClusters(b, db, 100_000)
}
