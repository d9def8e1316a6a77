package sqlstore

import (
	"context"
	"fmt"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// The controller's view of the job runs of every virtual cluster: its paged
// resync, the cancel requests it acts on, and the clusters with a queue.

// RequestJobRunCancel implements store.Store.
func (db *DB) RequestJobRunCancel(ctx context.Context, virtualClusterID, id string, at time.Time) (*emr.JobRun, error) {
	var run *emr.JobRun
	err := db.tx(ctx, func(c conn) error {
		res, err := c.exec(ctx, `UPDATE job_runs SET cancel_requested_at = COALESCE(cancel_requested_at, ?)
			WHERE id = ? AND virtual_cluster_id = ? AND state NOT IN ('COMPLETED', 'FAILED', 'CANCELLED')`,
			at.UnixMilli(), id, virtualClusterID)
		if err != nil {
			return err
		}
		if run, err = jobRuns.get(ctx, c, "", "id = ? AND virtual_cluster_id = ?", id, virtualClusterID); err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return fmt.Errorf("it is %s: %w", run.State, store.ErrConflict)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("request cancel of job run %s: %w", id, err)
	}
	return run, nil
}

// JobRunsInStates implements store.Store.
func (db *DB) JobRunsInStates(ctx context.Context, states []emr.JobRunState, afterID string, limit int) ([]*emr.JobRun, error) {
	if len(states) == 0 {
		return nil, nil
	}
	runs, err := jobRuns.all(ctx, db.reader(), ` WHERE state IN (`+marks(len(states))+`) AND id > ? ORDER BY id LIMIT ?`,
		append(args(states), afterID, limit)...)
	return runs, wrap(err, "job runs in %v", states)
}

// CancelRequestedJobRuns implements store.Store.
func (db *DB) CancelRequestedJobRuns(ctx context.Context, afterID string, limit int) ([]*emr.JobRun, error) {
	runs, err := jobRuns.all(ctx, db.reader(), ` WHERE cancel_requested_at IS NOT NULL AND state IN ('PENDING', 'SUBMITTED', 'RUNNING')
		AND id > ? ORDER BY id LIMIT ?`, afterID, limit)
	return runs, wrap(err, "job runs to cancel")
}

// QueuedVirtualClusters implements store.Store: a loose index scan of
// job_runs_queue, one index probe per cluster however long its queue.
func (db *DB) QueuedVirtualClusters(ctx context.Context) ([]string, error) {
	ids, err := collect(scanOne[string])(db.reader().query(ctx, `WITH RECURSIVE queued (id) AS (
			SELECT MIN(virtual_cluster_id) FROM job_runs WHERE state = 'PENDING'
			UNION ALL
			SELECT (SELECT MIN(virtual_cluster_id) FROM job_runs WHERE state = 'PENDING' AND virtual_cluster_id > queued.id)
			FROM queued WHERE queued.id IS NOT NULL)
		SELECT id FROM queued WHERE id IS NOT NULL`))
	return ids, wrap(err, "queued virtual clusters")
}
