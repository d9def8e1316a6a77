package sqlite

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Leases are rows of the leases table (migration 0003), written through
// the single write connection, so each statement below is a compare-and-set.
// Times are the process's clock in unix milliseconds: the processes that
// share an SQLite file share a machine.

// AcquireLease implements store.Leases.
func (db *DB) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error) {
	now := time.Now()
	res, err := db.write.ExecContext(ctx, `INSERT INTO leases (name, owner, expires_at) VALUES (?, ?, ?)
		ON CONFLICT (name) DO UPDATE SET owner = excluded.owner, expires_at = excluded.expires_at
		WHERE leases.owner = excluded.owner OR leases.expires_at <= ?`,
		name, owner, now.Add(ttl).UnixMilli(), now.UnixMilli())
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("acquire lease %s: %w", name, err)
	}
	return n == 1, nil
}

// RenewLeases implements store.Leases.
func (db *DB) RenewLeases(ctx context.Context, owner string, ttl time.Duration) ([]string, error) {
	now := time.Now()
	rows, err := db.write.QueryContext(ctx, `UPDATE leases SET expires_at = ? WHERE owner = ? AND expires_at > ? RETURNING name`,
		now.Add(ttl).UnixMilli(), owner, now.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("renew leases of %s: %w", owner, err)
	}
	defer rows.Close()
	var names []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			return nil, fmt.Errorf("renew leases of %s: %w", owner, err)
		}
		names = append(names, name)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("renew leases of %s: %w", owner, err)
	}
	return names, nil
}

// ReleaseLeases implements store.Leases.
func (db *DB) ReleaseLeases(ctx context.Context, owner string, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	args := []any{owner}
	for _, n := range names {
		args = append(args, n)
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(names)), ",")
	if _, err := db.write.ExecContext(ctx, `DELETE FROM leases WHERE owner = ? AND name IN (`+marks+`)`, args...); err != nil {
		return fmt.Errorf("release leases of %s: %w", owner, err)
	}
	return nil
}
