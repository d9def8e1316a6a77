package sqlite

import (
	"context"
	"database/sql"
	"fmt"
)

// statements are the hot-path queries, prepared once: parsing SQL costs
// more than running it for single-row statements.
type statements struct {
	// On the write connection, used inside transactions.
	replayed, remember, clusterState, insertRun, txGetRun, txGetCluster *sql.Stmt
	// On the read pool.
	getRun, getCluster *sql.Stmt
}

const (
	sqlReplayed     = `SELECT request_hash, resource_id FROM idempotency WHERE scope = ? AND token = ?`
	sqlRemember     = `INSERT INTO idempotency (scope, token, request_hash, resource_id, created_at) VALUES (?, ?, ?, ?, ?)`
	sqlClusterState = `SELECT state FROM virtual_clusters WHERE id = ?`
	sqlInsertRun    = `INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc, tags) VALUES (?, ?, ?, ?, ?, ?, ?)`
	sqlGetRun       = `SELECT doc, tags FROM job_runs WHERE id = ? AND virtual_cluster_id = ?`
	sqlGetCluster   = `SELECT doc, tags FROM virtual_clusters WHERE id = ?`
)

func prepare(ctx context.Context, write, read *sql.DB) (*statements, error) {
	var s statements
	for _, p := range []struct {
		db    *sql.DB
		dst   **sql.Stmt
		query string
	}{
		{write, &s.replayed, sqlReplayed},
		{write, &s.remember, sqlRemember},
		{write, &s.clusterState, sqlClusterState},
		{write, &s.insertRun, sqlInsertRun},
		{write, &s.txGetRun, sqlGetRun},
		{write, &s.txGetCluster, sqlGetCluster},
		{read, &s.getRun, sqlGetRun},
		{read, &s.getCluster, sqlGetCluster},
	} {
		stmt, err := p.db.PrepareContext(ctx, p.query)
		if err != nil {
			return nil, fmt.Errorf("prepare %q: %w", p.query, err)
		}
		*p.dst = stmt
	}
	return &s, nil
}
