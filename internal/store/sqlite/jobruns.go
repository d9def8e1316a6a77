package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateJobRun implements store.Store.
func (db *DB) CreateJobRun(ctx context.Context, run *emr.JobRun, idem store.Idempotency) (*emr.JobRun, error) {
	var out *emr.JobRun
	err := db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getJobRun(ctx, tx.StmtContext(ctx, db.stmt.txGetRun), run.VirtualClusterID, id)
			return err
		}
		var state emr.VirtualClusterState
		err = tx.StmtContext(ctx, db.stmt.clusterState).QueryRowContext(ctx, run.VirtualClusterID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
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
		_, err = tx.StmtContext(ctx, db.stmt.insertRun).ExecContext(ctx,
			run.ID, run.VirtualClusterID, run.Name, run.State, run.CreatedAt.UnixMilli(), doc, tags)
		if isUniqueViolation(err) {
			return fmt.Errorf("job run %s exists: %w", run.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = run
		return db.remember(ctx, tx, idem, run.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create job run: %w", err)
	}
	return out, nil
}

// GetJobRun implements store.Store.
func (db *DB) GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error) {
	run, err := getJobRun(ctx, db.stmt.getRun, virtualClusterID, id)
	if err != nil {
		return nil, fmt.Errorf("get job run %s: %w", id, err)
	}
	return run, nil
}

// getJobRun runs sqlGetRun prepared as stmt.
func getJobRun(ctx context.Context, stmt *sql.Stmt, virtualClusterID, id string) (*emr.JobRun, error) {
	var doc []byte
	var tags string
	err := stmt.QueryRowContext(ctx, id, virtualClusterID).Scan(&doc, &tags)
	if errors.Is(err, sql.ErrNoRows) {
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
	if !f.CreatedAfter.IsZero() {
		w.add("created_at >= ?", f.CreatedAfter.UnixMilli())
	}
	if !f.CreatedBefore.IsZero() {
		w.add("created_at <= ?", f.CreatedBefore.UnixMilli())
	}
	limit, err := w.page(db.tokens, f.Scope(), p)
	if err != nil {
		return nil, "", err
	}
	runs, created, err := db.queryJobRuns(ctx, `SELECT created_at, doc, tags FROM job_runs`+w.String()+` ORDER BY created_at DESC, id DESC LIMIT ?`,
		append(w.args, limit)...)
	if err != nil {
		return nil, "", fmt.Errorf("list job runs: %w", err)
	}
	if p.Limit > 0 && len(runs) > p.Limit {
		last := p.Limit - 1
		return runs[:p.Limit], db.tokens.Seal(f.Scope(), store.Cursor{CreatedAt: created[last], ID: runs[last].ID}.Bytes()), nil
	}
	return runs, "", nil
}

// ActiveJobRuns implements store.Store.
func (db *DB) ActiveJobRuns(ctx context.Context) ([]*emr.JobRun, error) {
	runs, _, err := db.queryJobRuns(ctx, `SELECT created_at, doc, tags FROM job_runs
		WHERE state IN ('PENDING', 'SUBMITTED', 'RUNNING', 'CANCEL_PENDING') ORDER BY created_at, id`)
	if err != nil {
		return nil, fmt.Errorf("list active job runs: %w", err)
	}
	return runs, nil
}

// CountJobRuns implements store.Store.
func (db *DB) CountJobRuns(ctx context.Context, virtualClusterID string, states ...emr.JobRunState) (int, error) {
	var w where
	w.add("virtual_cluster_id = ?", virtualClusterID)
	names := make([]string, len(states))
	for i, st := range states {
		names[i] = string(st)
	}
	w.in("state", names)
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM job_runs`+w.String(), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count job runs of %s: %w", virtualClusterID, err)
	}
	return n, nil
}

// PendingJobRuns implements store.Store.
func (db *DB) PendingJobRuns(ctx context.Context, virtualClusterID string, limit int) ([]*emr.JobRun, error) {
	runs, _, err := db.queryJobRuns(ctx, `SELECT created_at, doc, tags FROM job_runs
		WHERE virtual_cluster_id = ? AND state = 'PENDING' ORDER BY created_at, id LIMIT ?`, virtualClusterID, limit)
	if err != nil {
		return nil, fmt.Errorf("pending job runs of %s: %w", virtualClusterID, err)
	}
	return runs, nil
}

func (db *DB) queryJobRuns(ctx context.Context, query string, args ...any) ([]*emr.JobRun, []int64, error) {
	rows, err := db.read.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var (
		runs    []*emr.JobRun
		created []int64
	)
	for rows.Next() {
		var doc []byte
		var tags string
		var c int64
		if err := rows.Scan(&c, &doc, &tags); err != nil {
			return nil, nil, err
		}
		run, err := decodeJobRun(doc, tags)
		if err != nil {
			return nil, nil, err
		}
		runs = append(runs, run)
		created = append(created, c)
	}
	return runs, created, rows.Err()
}

// UpdateJobRun implements store.Store.
func (db *DB) UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error {
	if !emr.Reachable(from, run.State) {
		return fmt.Errorf("update job run %s: %s cannot lead to %s", run.ID, from, run.State)
	}
	doc, err := runDoc(run) // the tags column is TagResource's alone
	if err != nil {
		return fmt.Errorf("update job run %s: %w", run.ID, err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE job_runs SET state = ?, doc = ? WHERE id = ? AND virtual_cluster_id = ? AND state = ?`,
		run.State, doc, run.ID, run.VirtualClusterID, from)
	if err != nil {
		return fmt.Errorf("update job run %s: %w", run.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update job run %s from %s: %w", run.ID, from, store.ErrConflict)
	}
	return nil
}
