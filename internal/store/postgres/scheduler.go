package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// SetVirtualClusterScheduler implements store.Store.
func (db *DB) SetVirtualClusterScheduler(ctx context.Context, id string, cfg *emr.SchedulerConfiguration) (*emr.VirtualCluster, error) {
	var out *emr.VirtualCluster
	err := db.tx(ctx, func(tx pgx.Tx) error {
		vc, err := getVirtualCluster(ctx, tx, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		vc.SchedulerConfiguration = cfg
		doc, err := vcDoc(vc)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE virtual_clusters SET doc = $1 WHERE id = $2`, doc, id); err != nil {
			return err
		}
		out = vc
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("set scheduler of virtual cluster %s: %w", id, err)
	}
	return out, nil
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
	if err := db.pool.QueryRow(ctx, `SELECT COUNT(*) FROM job_runs`+w.String(), w.args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("count job runs of %s: %w", virtualClusterID, err)
	}
	return n, nil
}

// PendingJobRuns implements store.Store.
func (db *DB) PendingJobRuns(ctx context.Context, virtualClusterID string, limit int) ([]*emr.JobRun, error) {
	rows, err := db.pool.Query(ctx, `SELECT doc, tags FROM job_runs
		WHERE virtual_cluster_id = $1 AND state = 'PENDING' ORDER BY created_at, id LIMIT $2`, virtualClusterID, limit)
	if err != nil {
		return nil, fmt.Errorf("pending job runs of %s: %w", virtualClusterID, err)
	}
	runs, err := pgx.CollectRows(rows, func(row pgx.CollectableRow) (*emr.JobRun, error) {
		var doc []byte
		var tags string
		if err := row.Scan(&doc, &tags); err != nil {
			return nil, err
		}
		return decodeJobRun(doc, tags)
	})
	if err != nil {
		return nil, fmt.Errorf("pending job runs of %s: %w", virtualClusterID, err)
	}
	return runs, nil
}
