package app

import (
	"context"
	"log/slog"
	"time"
)

// rollerUp is a store whose cost rollups can miss finished usage records
// (written by an older sparkplane sharing the database) and that can catch
// up with them.
type rollerUp interface {
	RollUpUsage(ctx context.Context) (int, error)
}

// rollUpInterval is how often a server rolls up records it finds unrolled;
// with none, a pass is one indexed query.
const rollUpInterval = time.Minute

// rollUpEvery catches up with unrolled records until ctx ends, so reports
// do not undercount while servers of an older version still write records
// (during a rolling upgrade).
func rollUpEvery(ctx context.Context, r rollerUp, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		n, err := r.RollUpUsage(ctx)
		switch {
		case err != nil && ctx.Err() == nil:
			log.Warn("cost rollups: catching up with unrolled usage records", "err", err)
		case n > 0:
			log.Info("cost rollups: rolled up usage records written without them", "records", n)
		}
	}
}
