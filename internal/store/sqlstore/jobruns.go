package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateJobRun implements store.Store, appending the run's PENDING event
// to the outbox in the transaction of the insert. The virtual cluster's row is locked
// until the run is in: FOR SHARE, so that the cluster cannot change state
// meanwhile, or, when it limits its queue, FOR UPDATE, so that concurrent
// creations count the queue one after the other.
func (db *DB) CreateJobRun(ctx context.Context, run *emr.JobRun, idem store.Idempotency) (*emr.JobRun, error) {
	return create(ctx, db, "job run", idem, run, run.ID, func(c conn, id string) (*emr.JobRun, error) {
		return jobRuns.get(ctx, c, "", "id = ? AND virtual_cluster_id = ?", id, run.VirtualClusterID)
	}, func(c conn) error {
		vc, err := lockForRun(ctx, c, run.VirtualClusterID)
		if err != nil {
			return err
		}
		if vc.State != emr.VirtualClusterRunning {
			return fmt.Errorf("virtual cluster %s is %s: %w", vc.ID, vc.State, store.ErrConflict)
		}
		if _, limit := vc.SchedulerConfiguration.Limits(); limit > 0 {
			// Counted up to the limit: the cost of the check does not grow
			// with a queue longer than its limit (after the limit was lowered).
			var queued int
			if err := c.row(ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM job_runs
				WHERE state IN ('PENDING', 'SUBMITTED') AND virtual_cluster_id = ? LIMIT ?) AS queue`,
				vc.ID, limit).Scan(&queued); err != nil {
				return err
			}
			if queued >= limit {
				return &store.QueueFullError{VirtualClusterID: vc.ID, Queued: queued, Limit: limit}
			}
		}
		doc, err := runDoc(run)
		if err != nil {
			return err
		}
		if err := c.execUnique(ctx, fmt.Errorf("job run %s exists: %w", run.ID, store.ErrConflict),
			`INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc, tags, state_changes) VALUES (?, ?, ?, ?, ?, ?, ?, 1)`,
			run.ID, run.VirtualClusterID, run.Name, run.State, run.CreatedAt.UnixMilli(), doc, store.EncodeTags(run.Tags)); err != nil {
			return err
		}
		return appendJobRunEvents(ctx, c, run, []emr.JobRunStateChange{{}}, 1)
	})
}

// lockForRun reads the virtual cluster a run is being created in, locked
// as CreateJobRun says (where the engine has row locks).
func lockForRun(ctx context.Context, c conn, id string) (*emr.VirtualCluster, error) {
	vc, err := virtualClusters.get(ctx, c, "", "id = ?", id)
	if err == nil && c.d.ForShare != "" {
		lock := c.d.ForShare
		if _, limit := vc.SchedulerConfiguration.Limits(); limit > 0 {
			lock = c.d.ForUpdate
		}
		vc, err = virtualClusters.get(ctx, c, lock, "id = ?", id)
	}
	return vc, wrap(err, "virtual cluster %s", id)
}

// GetJobRun implements store.Store.
func (db *DB) GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error) {
	run, err := jobRuns.get(ctx, db.reader(), "", "id = ? AND virtual_cluster_id = ?", id, virtualClusterID)
	return run, wrap(err, "get job run %s", id)
}

// ListJobRuns implements store.Store.
func (db *DB) ListJobRuns(ctx context.Context, f store.JobRunFilter, p store.Page) ([]*emr.JobRun, string, error) {
	var w where
	w.add("virtual_cluster_id = ?", f.VirtualClusterID)
	w.in("state", args(f.States))
	if f.Name != "" {
		w.add("name = ?", f.Name)
	}
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := jobRuns.list(ctx, db, f.Scope(), &w, p)
	return out, next, wrap(err, "list job runs")
}

// ActiveJobRuns implements store.Store.
func (db *DB) ActiveJobRuns(ctx context.Context) ([]*emr.JobRun, error) {
	runs, err := jobRuns.all(ctx, db.reader(), ` WHERE state IN ('PENDING', 'SUBMITTED', 'RUNNING', 'CANCEL_PENDING') ORDER BY created_at, id`)
	return runs, wrap(err, "list active job runs")
}

// CountJobRuns implements store.Store.
func (db *DB) CountJobRuns(ctx context.Context, virtualClusterID string, states ...emr.JobRunState) (int, error) {
	var w where
	w.add("virtual_cluster_id = ?", virtualClusterID)
	w.in("state", args(states))
	var n int
	err := db.reader().row(ctx, `SELECT COUNT(*) FROM job_runs`+w.String(), w.args...).Scan(&n)
	return n, wrap(err, "count job runs of %s", virtualClusterID)
}

// PendingJobRuns implements store.Store.
func (db *DB) PendingJobRuns(ctx context.Context, virtualClusterID string, limit int) ([]*emr.JobRun, error) {
	runs, err := jobRuns.all(ctx, db.reader(), ` WHERE state = 'PENDING' AND virtual_cluster_id = ? ORDER BY created_at, id LIMIT ?`,
		virtualClusterID, limit)
	return runs, wrap(err, "pending job runs of %s", virtualClusterID)
}

// UpdateJobRun implements store.Store; the run's state changes go to the
// outbox in the same transaction. The state condition is checked on
// the newest row version (on PostgreSQL, after any concurrent writer
// commits), so of several writers from one state exactly one wins.
func (db *DB) UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error {
	if run.State != from && !emr.Reachable(from, run.State) { // the same state: new details
		return fmt.Errorf("update job run %s: %s cannot lead to %s", run.ID, from, run.State)
	}
	doc, err := runDoc(run) // the tags and cancel columns are not the document's
	changes := stateChanges(run, from)
	conflict := fmt.Errorf("from %s: %w", from, store.ErrConflict)
	switch {
	case err != nil:
	case len(changes) == 0: // no event: one statement
		err = db.writer().execOne(ctx, conflict,
			`UPDATE job_runs SET state = ?, doc = ?, finished_at = ? WHERE id = ? AND virtual_cluster_id = ? AND state = ?`,
			run.State, doc, finishedAt(run), run.ID, run.VirtualClusterID, from)
	default: // the change and its events, or neither
		err = db.tx(ctx, func(c conn) error {
			var seq int64
			err := c.row(ctx, `UPDATE job_runs SET state = ?, doc = ?, finished_at = ?, state_changes = state_changes + ?
				WHERE id = ? AND virtual_cluster_id = ? AND state = ? RETURNING state_changes`,
				run.State, doc, finishedAt(run), len(changes), run.ID, run.VirtualClusterID, from).Scan(&seq)
			if errors.Is(err, sql.ErrNoRows) {
				return conflict
			}
			if err != nil {
				return err
			}
			return appendJobRunEvents(ctx, c, run, changes, seq)
		})
	}
	if err == nil {
		run.Changes = nil // written
	}
	return wrap(err, "update job run %s", run.ID)
}
