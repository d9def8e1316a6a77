package sqlstore

import "context"

// Ping implements store.Store: one trivial query on the read pool, so a
// database that is down, unreachable or out of connections answers with
// an error. The write pool is left alone: on SQLite it is one connection,
// which a long write may hold, and a readiness probe must not queue behind it.
func (db *DB) Ping(ctx context.Context) error {
	var one int
	return db.read.QueryRowContext(ctx, "SELECT 1").Scan(&one)
}
