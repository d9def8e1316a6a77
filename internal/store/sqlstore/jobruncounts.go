package sqlstore

import (
	"context"
	"database/sql"

	"github.com/sparkplane/sparkplane/internal/store"
)

// JobRunCounts implements store.Store: one scan of the job_runs_queue
// index (state, virtual cluster), grouped.
func (db *DB) JobRunCounts(ctx context.Context) ([]store.JobRunCount, error) {
	counts, err := collect(func(rows *sql.Rows) (store.JobRunCount, error) {
		var n store.JobRunCount
		return n, rows.Scan(&n.VirtualClusterID, &n.State, &n.Count)
	})(db.reader().query(ctx, `SELECT virtual_cluster_id, state, COUNT(*) FROM job_runs
		GROUP BY state, virtual_cluster_id ORDER BY virtual_cluster_id, state`))
	return counts, wrap(err, "count job runs by state")
}
