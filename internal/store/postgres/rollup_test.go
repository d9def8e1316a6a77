package postgres_test

import (
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/store/postgres"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// Records written before the rollups existed (migration 0005 leaves
// rollup_tag_set NULL and the rollups empty) are rolled up when the store
// opens, and reports from the rollups then equal those from the records.
func TestRollUpExistingRecords(t *testing.T) {
	url := pgenv.Start(t).NewDatabase(t)
	db := MustOpen(t, url)
	storetest.WriteRollupFixture(t, db)
	MustClose(t, db)
	conn, err := pgx.Connect(t.Context(), url)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`UPDATE pod_usage SET rollup_tag_set = NULL`, `DELETE FROM usage_daily`, `DELETE FROM node_daily`, `DELETE FROM tag_sets`} {
		if _, err := conn.Exec(t.Context(), q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := conn.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	db = MustOpen(t, url)
	defer MustClose(t, db)
	storetest.CheckRollupsEqualRecords(t, db)
	if n, err := db.RollUpUsage(t.Context()); err != nil || n != 0 {
		t.Errorf("RollUpUsage() after open = %d, %v; want 0, nil", n, err)
	}
}

// The roll-up at open works in batches: with batches of 7 records (the
// fixture needs many), the rollups still equal the records.
func TestRollUpInSeveralBatches(t *testing.T) {
	defer postgres.SetRollUpBatch(7)()
	TestRollUpExistingRecords(t)
}
