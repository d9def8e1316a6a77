package sqlstore

import (
	"context"
)

// PutJobRunLog implements store.Logs.
func (db *DB) PutJobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string, data []byte) error {
	if data == nil {
		data = []byte{}
	}
	_, err := db.writer().exec(ctx, `INSERT INTO job_run_logs (virtual_cluster_id, job_run_id, attempt, stream, data) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (virtual_cluster_id, job_run_id, attempt, stream) DO UPDATE SET data = excluded.data`,
		virtualClusterID, jobRunID, attempt, stream, data)
	return wrap(err, "put log %s of job run %s attempt %d", stream, jobRunID, attempt)
}

// JobRunLog implements store.Logs.
func (db *DB) JobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string) ([]byte, error) {
	var data []byte
	err := db.reader().row(ctx, `SELECT data FROM job_run_logs WHERE virtual_cluster_id = ? AND job_run_id = ? AND attempt = ? AND stream = ?`,
		virtualClusterID, jobRunID, attempt, stream).Scan(&data)
	if err := notFound(err); err != nil {
		return nil, wrap(err, "log %s of job run %s attempt %d", stream, jobRunID, attempt)
	}
	if data == nil {
		data = []byte{}
	}
	return data, nil
}
