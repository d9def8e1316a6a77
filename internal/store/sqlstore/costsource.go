package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/store"
)

// ReadMetering implements store.Metering: one read transaction (on SQLite
// in WAL mode, or REPEATABLE READ on PostgreSQL), whose snapshot every read
// of the source shares.
func (db *DB) ReadMetering(ctx context.Context, read func(cost.Source) error) error {
	tx, err := db.read.BeginTx(ctx, db.d.Snapshot)
	if err != nil {
		return fmt.Errorf("read metering: %w", err)
	}
	defer tx.Rollback() //nolint:errcheck // read-only
	return read(&costSource{ctx: ctx, tx: conn{q: tx, d: db.d}, indexedBy: db.d.IndexedBy})
}

// costSource is a cost.Source on a read transaction.
type costSource struct {
	ctx       context.Context
	tx        conn
	indexedBy func(index string) string
}

// sqlSourceUsage is sqlUsage for the short windows around whole days:
// the records that started at most a day before the window (by start), the
// few longer than a day (by their partial index) and the running ones.
// The arguments are a day before from, to, from; from, to; to.
func (s *costSource) sqlUsage() string {
	return `SELECT ` + usageFields + ` FROM pod_usage u` + s.indexedBy("pod_usage_start") + ` ` + usageJoins + `
		WHERE u.start_at >= ? AND u.start_at < ? AND u.end_at > ? AND u.end_at - u.start_at <= 86400000
	UNION ALL SELECT ` + usageColumns + ` WHERE u.end_at - u.start_at > 86400000 AND u.end_at > ? AND u.start_at < ?
	UNION ALL SELECT ` + usageColumns + ` WHERE u.end_at IS NULL AND u.start_at < ?`
}

const sqlRunning = `SELECT ` + usageColumns + ` WHERE u.end_at IS NULL AND u.start_at < ?`

func (s *costSource) Nodes(from, to time.Time) ([]cost.Node, error) {
	return readNodes(s.ctx, s.tx, from, to)
}

func (s *costSource) Usage(from, to time.Time) iter.Seq2[cost.Usage, error] {
	f, t := from.UnixMilli(), to.UnixMilli()
	return usageRows(s.ctx, s.tx, s.sqlUsage(), f-86_400_000, t, f, f, t, t)
}

func (s *costSource) Running(to time.Time) iter.Seq2[cost.Usage, error] {
	return usageRows(s.ctx, s.tx, sqlRunning, to.UnixMilli())
}

func (s *costSource) Daily(fromDay, toDay int64) iter.Seq2[cost.DailyUsage, error] {
	var tags store.TagCache
	return stream(s.ctx, s.tx, "daily usage", func(rows *sql.Rows) (cost.DailyUsage, error) {
		return scanDaily(rows, &tags)
	}, sqlDaily, fromDay, toDay)
}

func (s *costSource) NodeDaily(fromDay, toDay int64) iter.Seq2[cost.NodeDaily, error] {
	return stream(s.ctx, s.tx, "daily node usage", scanNodeDaily, sqlNodeDaily, fromDay, toDay)
}
