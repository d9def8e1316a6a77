package sqlite_test

import (
	"database/sql"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
)

// A database written by the first release (tags inside the documents)
// keeps every tag when 0002 moves them to their own columns.
func TestMigrateTagsOutOfDocuments(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparkplane.db")
	v1, err := os.ReadFile("migrations/0001_init.sql")
	if err != nil {
		t.Fatal(err)
	}
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	var gen emr.JobRunIDs
	vc := storetest.NewVirtualCluster("prod", "spark", storetest.Epoch)
	vc.SecurityConfigurationID = "sc1"
	run := storetest.NewJobRun(&gen, vc.ID, "pi", storetest.Epoch)
	bare := storetest.NewJobRun(&gen, vc.ID, "bare", storetest.Epoch)
	bare.Tags = nil
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{string(v1), nil},
		{`CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`, nil},
		{`INSERT INTO schema_migrations (version) VALUES (1)`, nil},
		{`INSERT INTO virtual_clusters (id, name, state, provider_id, namespace, created_at, doc) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			[]any{vc.ID, vc.Name, vc.State, "prod", "spark", vc.CreatedAt.UnixMilli(), mustJSON(t, vc)}},
		{`INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{run.ID, vc.ID, run.Name, run.State, run.CreatedAt.UnixMilli(), mustJSON(t, run)}},
		{`INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc) VALUES (?, ?, ?, ?, ?, ?)`,
			[]any{bare.ID, vc.ID, bare.Name, bare.State, bare.CreatedAt.UnixMilli(), mustJSON(t, bare)}},
	} {
		if _, err := raw.ExecContext(ctx, q.sql, q.args...); err != nil {
			t.Fatalf("%.60s: %v", q.sql, err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	db := MustOpen(t, path)
	defer MustClose(t, db)
	got, err := db.GetVirtualCluster(ctx, vc.ID)
	if err != nil {
		t.Fatal(err)
	}
	storetest.MustEqual(t, got, vc)
	storetest.MustEqual(t, storetest.MustGetJobRun(t, db, vc.ID, run.ID), run)
	storetest.MustEqual(t, storetest.MustGetJobRun(t, db, vc.ID, bare.ID), bare)
	runs, _, err := db.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{})
	if err != nil || len(runs) != 2 {
		t.Fatalf("ListJobRuns() = %d runs, %v", len(runs), err)
	}
	// The documents no longer hold tags; the columns do.
	ro, err := sql.Open("sqlite", "file:"+path+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer ro.Close()
	var doc, tags, sc string
	if err := ro.QueryRowContext(ctx, `SELECT doc, tags FROM job_runs WHERE id = ?`, run.ID).Scan(&doc, &tags); err != nil {
		t.Fatal(err)
	}
	var fields map[string]any
	if err := json.Unmarshal([]byte(doc), &fields); err != nil || fields["tags"] != nil || tags != `{"team":"data"}` {
		t.Errorf("after migration: doc %s, tags %s", doc, tags)
	}
	if err := ro.QueryRowContext(ctx, `SELECT security_configuration_id FROM virtual_clusters WHERE id = ?`, vc.ID).Scan(&sc); err != nil || sc != "sc1" {
		t.Errorf("security_configuration_id = %q, %v", sc, err)
	}
}

func mustJSON(tb testing.TB, v any) string {
	tb.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		tb.Fatal(err)
	}
	return string(b)
}

// A database that recorded a later migration but not an earlier one (the
// earlier landed after it) gets the earlier one when it is opened.
func TestMigrateFillsGaps(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparkplane.db")
	MustClose(t, MustOpen(t, path))
	versions, objects := schema(t, path)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	// Undo migration 4 (an index) as if it had never been there.
	if _, err := raw.ExecContext(t.Context(), `DROP INDEX job_runs_by_name; DELETE FROM schema_migrations WHERE version = 4`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	MustClose(t, MustOpen(t, path))
	v, o := schema(t, path)
	if fmt.Sprint(v) != fmt.Sprint(versions) || fmt.Sprint(o) != fmt.Sprint(objects) {
		t.Fatalf("after reopening: %v %v\nwant %v %v", v, o, versions, objects)
	}
}

// Records written before the rollups existed (migration 0006 leaves
// rollup_tag_set NULL and the rollups empty) are rolled up when the store
// opens, and reports from the rollups then equal those from the records.
func TestRollUpExistingRecords(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparkplane.db")
	db := MustOpen(t, path)
	storetest.WriteRollupFixture(t, db)
	MustClose(t, db)
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE pod_usage SET rollup_tag_set = NULL`, `DELETE FROM usage_daily`, `DELETE FROM node_daily`, `DELETE FROM tag_sets`} {
		if _, err := raw.ExecContext(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db = MustOpen(t, path)
	defer MustClose(t, db)
	storetest.CheckRollupsEqualRecords(t, db)
	if n, err := db.RollUpUsage(t.Context()); err != nil || n != 0 {
		t.Errorf("RollUpUsage() after open = %d, %v; want 0, nil", n, err)
	}
}

// The roll-up at open works in batches: with batches of 7 records (the
// fixture needs many), the rollups still equal the records.
func TestRollUpInSeveralBatches(t *testing.T) {
	defer sqlite.SetRollUpBatch(7)()
	TestRollUpExistingRecords(t)
}

// A database a newer sparkplane migrated is refused, untouched.
func TestOpenRefusesANewerSchema(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sparkplane.db")
	MustClose(t, MustOpen(t, path))
	raw, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := raw.ExecContext(t.Context(), `INSERT INTO schema_migrations (version) VALUES (9999)`); err != nil {
		t.Fatal(err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := sqlite.Open(t.Context(), path)
	if err == nil {
		db.Close()
		t.Fatal("opened a database with an unknown migration 9999")
	}
	if !strings.Contains(err.Error(), "9999") || !strings.Contains(err.Error(), "upgrade") {
		t.Fatalf("error %v", err)
	}
}
