package bench

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// The fill functions write job runs straight into a store's job_runs table
// (id, virtual_cluster_id, name, state, created_at in unix milliseconds,
// doc: the run's JSON without its tags, tags: a JSON object), as the
// stores' migrations define it: 1,000,000 StartJobRun calls would take
// minutes and measure nothing of interest here.

const benchTags = `{"team":"data","pipeline":"daily"}`

func benchDoc(vc *emr.VirtualCluster, i int) (*emr.JobRun, string, error) {
	run := benchRun(vc, i)
	doc, err := json.Marshal(run) // Tags is nil: tags have their own column
	return run, string(doc), err
}

// fillSQLite inserts the runs through a connection of its own, in
// transactions of 50,000.
func fillSQLite(ctx context.Context, path string, vc *emr.VirtualCluster) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const batch = 50_000
	for start := 0; start < storedRuns; start += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		stmt, err := tx.PrepareContext(ctx, `INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc, tags) VALUES (?, ?, ?, ?, ?, ?, ?)`)
		if err != nil {
			tx.Rollback()
			return err
		}
		for i := start; i < min(start+batch, storedRuns); i++ {
			run, doc, err := benchDoc(vc, i)
			if err != nil {
				tx.Rollback()
				return err
			}
			if _, err := stmt.ExecContext(ctx, run.ID, vc.ID, run.Name, string(run.State), run.CreatedAt.UnixMilli(), doc, benchTags); err != nil {
				tx.Rollback()
				return fmt.Errorf("insert run %d: %w", i, err)
			}
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

// fillPostgres copies the runs in (COPY), then vacuums and analyzes the
// table, as autovacuum would soon after such a load.
func fillPostgres(ctx context.Context, url string, vc *emr.VirtualCluster) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	i := 0
	n, err := conn.CopyFrom(ctx, pgx.Identifier{"job_runs"}, []string{"id", "virtual_cluster_id", "name", "state", "created_at", "doc", "tags"},
		pgx.CopyFromFunc(func() ([]any, error) {
			if i == storedRuns {
				return nil, nil
			}
			run, doc, err := benchDoc(vc, i)
			i++
			if err != nil {
				return nil, err
			}
			return []any{run.ID, vc.ID, run.Name, string(run.State), run.CreatedAt.UnixMilli(), doc, benchTags}, nil
		}))
	if err != nil {
		return fmt.Errorf("copy: %w", err)
	}
	if n != storedRuns {
		return fmt.Errorf("copied %d runs, want %d", n, storedRuns)
	}
	_, err = conn.Exec(ctx, `VACUUM ANALYZE job_runs`)
	return err
}
