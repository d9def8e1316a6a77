package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
)

// Leases are rows of the leases table (migration 0002). Each statement
// below is a compare-and-set: under READ COMMITTED, an upsert or update
// that meets a row another transaction is changing waits for it and then
// checks its condition against the row as that transaction left it. Times
// are the database server's (now()), so the sparkplane servers' clocks
// need not agree.

// AcquireLease implements store.Leases.
func (db *DB) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	tag, err := db.pool.Exec(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES ($1, $2, now() + $3 * interval '1 millisecond')
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at <= now()`,
		name, owner, ttl.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// RenewLeases implements store.Leases.
func (db *DB) RenewLeases(ctx context.Context, owner string, ttl time.Duration) ([]string, error) {
	rows, err := db.pool.Query(ctx, `UPDATE leases SET expires_at = now() + $2 * interval '1 millisecond'
		WHERE owner = $1 AND expires_at > now() RETURNING name`, owner, ttl.Milliseconds())
	if err != nil {
		return nil, fmt.Errorf("renew leases of %s: %w", owner, err)
	}
	names, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("renew leases of %s: %w", owner, err)
	}
	return names, nil
}

// ReleaseLeases implements store.Leases.
func (db *DB) ReleaseLeases(ctx context.Context, owner string, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	if _, err := db.pool.Exec(ctx, `DELETE FROM leases WHERE owner = $1 AND name = ANY($2)`, owner, names); err != nil {
		return fmt.Errorf("release leases of %s: %w", owner, err)
	}
	return nil
}
