package postgres

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/store"
)

// ReadMetering implements store.Metering: one read-only REPEATABLE READ
// transaction, whose snapshot every read of the source shares.
func (db *DB) ReadMetering(ctx context.Context, read func(cost.Source) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return fmt.Errorf("read metering: %w", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only
	return read(&costSource{ctx: ctx, tx: tx})
}

// costSource is a cost.Source on a read transaction.
type costSource struct {
	ctx context.Context
	tx  pgx.Tx
}

// sqlSourceUsage is sqlUsage for the short windows around whole days:
// the records that started at most a day before the window (by start), the
// few longer than a day (by their partial index) and the running ones.
const sqlSourceUsage = `SELECT ` + usageColumns + `
		WHERE u.start_at >= $1::bigint - 86400000 AND u.start_at < $2 AND u.end_at > $1 AND u.end_at - u.start_at <= 86400000
	UNION ALL SELECT ` + usageColumns + ` WHERE u.end_at - u.start_at > 86400000 AND u.end_at > $1 AND u.start_at < $2
	UNION ALL SELECT ` + usageColumns + ` WHERE u.end_at IS NULL AND u.start_at < $2`

const sqlRunning = `SELECT ` + usageColumns + ` WHERE u.end_at IS NULL AND u.start_at < $1`

var (
	sqlDaily     = store.SQLDaily("$1", "$2")
	sqlNodeDaily = store.SQLNodeDaily("$1", "$2")
)

func (s *costSource) Nodes(from, to time.Time) ([]cost.Node, error) {
	return readNodes(s.ctx, s.tx, from, to)
}

func (s *costSource) Usage(from, to time.Time) iter.Seq2[cost.Usage, error] {
	return usageRows(s.ctx, s.tx, sqlSourceUsage, from.UnixMilli(), to.UnixMilli())
}

func (s *costSource) Running(to time.Time) iter.Seq2[cost.Usage, error] {
	return usageRows(s.ctx, s.tx, sqlRunning, to.UnixMilli())
}

func (s *costSource) Daily(fromDay, toDay int64) iter.Seq2[cost.DailyUsage, error] {
	return func(yield func(cost.DailyUsage, error) bool) {
		rows, err := s.tx.Query(s.ctx, sqlDaily, fromDay, toDay)
		if err != nil {
			yield(cost.DailyUsage{}, err)
			return
		}
		defer rows.Close()
		store.YieldDaily(rows, yield)
	}
}

func (s *costSource) NodeDaily(fromDay, toDay int64) iter.Seq2[cost.NodeDaily, error] {
	return func(yield func(cost.NodeDaily, error) bool) {
		rows, err := s.tx.Query(s.ctx, sqlNodeDaily, fromDay, toDay)
		if err != nil {
			yield(cost.NodeDaily{}, err)
			return
		}
		defer rows.Close()
		store.YieldNodeDaily(rows, yield)
	}
}
