package sqlstore

import (
	"context"
	"time"
)

// Leases are rows of the leases table. Each statement below is a
// compare-and-set: SQLite runs it alone on its write connection; on
// PostgreSQL at READ COMMITTED an upsert or update that meets a row
// another transaction is changing waits for it and then checks its
// condition against the row as that transaction left it. Times are the
// database's clock (Dialect.Now): the PostgreSQL server's, or, for SQLite,
// the machine's that the processes sharing the file share.

// AcquireLease implements store.Leases.
func (db *DB) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	res, err := db.writer().exec(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, `+db.d.Later+`)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at <= `+db.d.Now, name, owner, ttl.Milliseconds())
	if err != nil {
		return false, wrap(err, "acquire lease %s", name)
	}
	n, err := res.RowsAffected()
	return n == 1, wrap(err, "acquire lease %s", name)
}

// RenewLeases implements store.Leases.
func (db *DB) RenewLeases(ctx context.Context, owner string, ttl time.Duration) ([]string, error) {
	names, err := collect(scanOne[string])(db.writer().query(ctx, `UPDATE leases SET expires_at = `+db.d.Later+`
		WHERE owner = ? AND expires_at > `+db.d.Now+` RETURNING name`, ttl.Milliseconds(), owner))
	return names, wrap(err, "renew leases of %s", owner)
}

// ReleaseLeases implements store.Leases.
func (db *DB) ReleaseLeases(ctx context.Context, owner string, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	_, err := db.writer().exec(ctx, `DELETE FROM leases WHERE owner = ? AND name IN (`+marks(len(names))+`)`,
		append([]any{owner}, args(names)...)...)
	return wrap(err, "release leases of %s", owner)
}
