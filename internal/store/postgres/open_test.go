package postgres_test

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/postgres"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// schema reads, behind the store's back, what the migrations made: the
// versions applied and every table, column and index.
func schema(tb testing.TB, url string) (versions []int, objects []string) {
	tb.Helper()
	ctx := tb.Context()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		tb.Fatal(err)
	}
	defer conn.Close(context.Background())
	rows, err := conn.Query(ctx, `SELECT version FROM schema_migrations ORDER BY version`)
	if err != nil {
		tb.Fatal(err)
	}
	if versions, err = pgx.CollectRows(rows, pgx.RowTo[int]); err != nil {
		tb.Fatal(err)
	}
	rows, err = conn.Query(ctx, `
		SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || COALESCE(column_default, '')
		  FROM information_schema.columns WHERE table_schema = 'public'
		UNION ALL
		SELECT indexdef FROM pg_indexes WHERE schemaname = 'public'
		ORDER BY 1`)
	if err != nil {
		tb.Fatal(err)
	}
	if objects, err = pgx.CollectRows(rows, pgx.RowTo[string]); err != nil {
		tb.Fatal(err)
	}
	return versions, objects
}

// Everything written survives Close and Open, and opening again changes
// nothing in the schema.
func TestDurability(t *testing.T) {
	url := pgenv.Start(t).NewDatabase(t)
	ctx := t.Context()
	var gen emr.JobRunIDs

	db := MustOpen(t, url)
	vc := storetest.MustCreateVirtualCluster(t, db, storetest.NewVirtualCluster("prod", "spark", storetest.Epoch))
	idem := store.Idempotency{Scope: "StartJobRun/" + vc.ID, Token: "tok", Hash: "h"}
	active, err := db.CreateJobRun(ctx, storetest.NewJobRun(&gen, vc.ID, "active", storetest.Epoch), idem)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustMove(t, db, active, emr.JobRunRunning)
	done := storetest.MustCreateJobRun(t, db, storetest.NewJobRun(&gen, vc.ID, "done", storetest.Epoch.Add(time.Second)))
	storetest.MustMove(t, db, done, emr.JobRunCompleted)
	_, token, err := db.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 1})
	if err != nil || token == "" {
		t.Fatalf("first page: token %q, %v", token, err)
	}
	MustClose(t, db)
	versions, objects := schema(t, url)

	for round := range 3 {
		db := MustOpen(t, url)
		got, err := db.GetVirtualCluster(ctx, vc.ID)
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		storetest.MustEqual(t, got, vc)
		storetest.MustEqual(t, storetest.MustGetJobRun(t, db, vc.ID, active.ID), active)
		storetest.MustEqual(t, storetest.MustGetJobRun(t, db, vc.ID, done.ID), done)
		// A page token outlives the store that handed it out.
		runs, _, err := db.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 1, Token: token})
		if err != nil || len(runs) != 1 || runs[0].ID != active.ID {
			t.Fatalf("round %d: second page = %v, %v; want %s", round, runs, err, active.ID)
		}
		replay, err := db.CreateJobRun(ctx, storetest.NewJobRun(&gen, vc.ID, "active", storetest.Epoch), idem)
		if err != nil || replay.ID != active.ID {
			t.Fatalf("round %d: replay = %+v, %v; want %s", round, replay, err, active.ID)
		}
		MustClose(t, db)
		v, o := schema(t, url)
		if fmt.Sprint(v) != fmt.Sprint(versions) || fmt.Sprint(o) != fmt.Sprint(objects) {
			t.Fatalf("round %d: reopening changed the schema:\n%v %v\nwas\n%v %v", round, v, o, versions, objects)
		}
	}
	files, err := filepath.Glob("migrations/*.sql")
	if err != nil || len(files) == 0 {
		t.Fatalf("no migrations: %v", err)
	}
	if len(versions) != len(files) || versions[0] != 1 {
		t.Errorf("schema_migrations = %v, want 1… for each of the %d migrations", versions, len(files))
	}
}

// Servers starting together on an empty database all migrate it without
// error, each migration applied once, and all seal page tokens with the
// one key that was stored.
func TestOpenConcurrently(t *testing.T) {
	url := pgenv.Start(t).NewDatabase(t)
	const n = 8
	var (
		wg   sync.WaitGroup
		dbs  = make([]*postgres.DB, n)
		errs = make([]error, n)
	)
	for i := range n {
		wg.Go(func() { dbs[i], errs[i] = postgres.Open(t.Context(), url) })
	}
	wg.Wait()
	for i := range n {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		defer MustClose(t, dbs[i])
	}
	files, _ := filepath.Glob("migrations/*.sql")
	if versions, _ := schema(t, url); len(versions) != len(files) {
		t.Errorf("schema_migrations = %v, want each of the %d migrations once", versions, len(files))
	}
	for i := range 3 {
		storetest.MustCreateVirtualCluster(t, dbs[i], storetest.NewVirtualCluster("prod", fmt.Sprint("ns-", i), storetest.Epoch))
	}
	_, token, err := dbs[0].ListVirtualClusters(t.Context(), store.VirtualClusterFilter{}, store.Page{Limit: 1})
	if err != nil || token == "" {
		t.Fatalf("first page: %q, %v", token, err)
	}
	for i, db := range dbs {
		if _, _, err := db.ListVirtualClusters(t.Context(), store.VirtualClusterFilter{}, store.Page{Limit: 1, Token: token}); err != nil {
			t.Errorf("store %d refuses the token of store 0: %v", i, err)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	srv := pgenv.Start(t)
	for _, url := range []string{
		"postgres://postgres@127.0.0.1:1/postgres?sslmode=disable&connect_timeout=2", // nothing listens
		srv.URL + "&dbname=no_such_database",
		"not a url at all ://",
	} {
		if db, err := postgres.Open(t.Context(), url); err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded, want an error", url)
		}
	}
}

// A database that recorded a later migration but not an earlier one (the
// earlier landed after it) gets the earlier one when it is opened.
func TestMigrateFillsGaps(t *testing.T) {
	url := pgenv.Start(t).NewDatabase(t)
	MustClose(t, MustOpen(t, url))
	versions, objects := schema(t, url)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Undo migration 3 (an index) as if it had never been there.
	if _, err := conn.Exec(t.Context(), `DROP INDEX job_runs_by_name; DELETE FROM schema_migrations WHERE version = 3`); err != nil {
		t.Fatal(err)
	}
	MustClose(t, MustOpen(t, url))
	v, o := schema(t, url)
	if fmt.Sprint(v) != fmt.Sprint(versions) || fmt.Sprint(o) != fmt.Sprint(objects) {
		t.Fatalf("after reopening: %v %v\nwant %v %v", v, o, versions, objects)
	}
}

// A database a newer sparkplane migrated is refused, untouched.
func TestOpenRefusesANewerSchema(t *testing.T) {
	url := pgenv.Start(t).NewDatabase(t)
	MustClose(t, MustOpen(t, url))
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(t.Context(), `INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	db, err := postgres.Open(t.Context(), url)
	if err == nil {
		db.Close()
		t.Fatal("opened a database with an unknown migration 9999")
	}
	if !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("error %v", err)
	}
}
