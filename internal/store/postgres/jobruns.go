package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateJobRun implements store.Store.
func (db *DB) CreateJobRun(ctx context.Context, run *emr.JobRun, idem store.Idempotency) (*emr.JobRun, error) {
	var out *emr.JobRun
	err := db.tx(ctx, func(tx pgx.Tx) error {
		id, err := replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getJobRun(ctx, tx, run.VirtualClusterID, id)
			return err
		}
		// FOR SHARE: the cluster cannot change state until the run is in.
		var state emr.VirtualClusterState
		err = tx.QueryRow(ctx, `SELECT state FROM virtual_clusters WHERE id = $1 FOR SHARE`, run.VirtualClusterID).Scan(&state)
		if errors.Is(err, pgx.ErrNoRows) {
			return fmt.Errorf("virtual cluster %s: %w", run.VirtualClusterID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if state != emr.VirtualClusterRunning {
			return fmt.Errorf("virtual cluster %s is %s: %w", run.VirtualClusterID, state, store.ErrConflict)
		}
		doc, err := runDoc(run)
		if err != nil {
			return err
		}
		tags, err := store.EncodeTags(run.Tags)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc, tags) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
			run.ID, run.VirtualClusterID, run.Name, run.State, run.CreatedAt.UnixMilli(), doc, tags)
		if isUniqueViolation(err) {
			return fmt.Errorf("job run %s exists: %w", run.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = run
		return remember(ctx, tx, idem, run.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create job run: %w", err)
	}
	return out, nil
}

// GetJobRun implements store.Store.
func (db *DB) GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error) {
	run, err := getJobRun(ctx, db.pool, virtualClusterID, id)
	if err != nil {
		return nil, fmt.Errorf("get job run %s: %w", id, err)
	}
	return run, nil
}

func getJobRun(ctx context.Context, q querier, virtualClusterID, id string) (*emr.JobRun, error) {
	var doc []byte
	var tags string
	err := q.QueryRow(ctx, `SELECT doc, tags FROM job_runs WHERE id = $1 AND virtual_cluster_id = $2`, id, virtualClusterID).Scan(&doc, &tags)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeJobRun(doc, tags)
}

func decodeJobRun(doc []byte, tags string) (*emr.JobRun, error) {
	var run emr.JobRun
	if err := json.Unmarshal(doc, &run); err != nil {
		return nil, err
	}
	var err error
	run.Tags, err = store.DecodeTags(tags)
	return &run, err
}

// ListJobRuns implements store.Store.
func (db *DB) ListJobRuns(ctx context.Context, f store.JobRunFilter, p store.Page) ([]*emr.JobRun, string, error) {
	var w where
	w.add("virtual_cluster_id = ?", f.VirtualClusterID)
	states := make([]string, len(f.States))
	for i, s := range f.States {
		states[i] = string(s)
	}
	w.in("state", states)
	if f.Name != "" {
		w.add("name = ?", f.Name)
	}
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := list(ctx, db, f.Scope(), `SELECT created_at, doc, tags FROM job_runs`, &w, p, decodeJobRun,
		func(run *emr.JobRun) string { return run.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list job runs: %w", err)
	}
	return out, next, nil
}

// ActiveJobRuns implements store.Store.
func (db *DB) ActiveJobRuns(ctx context.Context) ([]*emr.JobRun, error) {
	rows, err := db.pool.Query(ctx, `SELECT doc, tags FROM job_runs
		WHERE state IN ('PENDING', 'SUBMITTED', 'RUNNING', 'CANCEL_PENDING') ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list active job runs: %w", err)
	}
	defer rows.Close()
	var runs []*emr.JobRun
	for rows.Next() {
		var doc []byte
		var tags string
		if err := rows.Scan(&doc, &tags); err != nil {
			return nil, fmt.Errorf("list active job runs: %w", err)
		}
		run, err := decodeJobRun(doc, tags)
		if err != nil {
			return nil, fmt.Errorf("list active job runs: %w", err)
		}
		runs = append(runs, run)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("list active job runs: %w", err)
	}
	return runs, nil
}

// UpdateJobRun implements store.Store. The state condition is checked
// again on the newest row version after any concurrent writer commits, so
// of several writers from one state exactly one wins.
func (db *DB) UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error {
	if !emr.Reachable(from, run.State) {
		return fmt.Errorf("update job run %s: %s cannot lead to %s", run.ID, from, run.State)
	}
	doc, err := runDoc(run) // the tags column is TagResource's alone
	if err != nil {
		return fmt.Errorf("update job run %s: %w", run.ID, err)
	}
	tag, err := db.pool.Exec(ctx, `UPDATE job_runs SET state = $1, doc = $2 WHERE id = $3 AND virtual_cluster_id = $4 AND state = $5`,
		run.State, doc, run.ID, run.VirtualClusterID, from)
	if err != nil {
		return fmt.Errorf("update job run %s: %w", run.ID, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("update job run %s from %s: %w", run.ID, from, store.ErrConflict)
	}
	return nil
}
