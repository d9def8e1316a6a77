package sqlite

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"time"
)

// The WAL grows while passive auto-checkpoints cannot finish, which is
// whenever readers overlap them: under sustained load it grew without
// bound (428 MB). So a goroutine of the DB runs a TRUNCATE checkpoint on
// the write connection every checkpointEvery, and sooner when the WAL
// passes walLimit; journal_size_limit trims the file to walLimit after
// any checkpoint that resets it.
//
// A TRUNCATE checkpoint cannot be starved by a stream of readers: it holds
// the write lock while it waits (on the busy handler, up to busy_timeout)
// for the readers of older snapshots to finish, and readers that start
// meanwhile read the database as of the last commit, which it does not
// need to wait for. Only a single read transaction longer than the busy
// timeout makes it give up (SQLITE_BUSY), until the next round.
var (
	checkpointEvery = 30 * time.Second
	checkpointPoll  = time.Second // how often the WAL's size is looked at
)

// walLimit is the size of WAL that calls for a checkpoint at once, and the
// size journal_size_limit trims it to.
const walLimit = 64 << 20

// Checkpoint copies every frame of the WAL into the database and truncates
// the WAL to nothing, waiting for readers up to the busy timeout.
func (db *DB) Checkpoint(ctx context.Context) error {
	var busy, frames, copied int
	err := db.Writer().QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &frames, &copied)
	if err == nil && busy != 0 {
		err = fmt.Errorf("readers kept it busy (%d of %d frames copied)", copied, frames)
	}
	if err != nil {
		return fmt.Errorf("checkpoint: %w", err)
	}
	return nil
}

// startCheckpoints starts the checkpoint goroutine and returns what stops
// it and waits for it to end.
func (db *DB) startCheckpoints() (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		poll := time.NewTicker(checkpointPoll)
		defer poll.Stop()
		last := time.Now()
		for {
			select {
			case <-ctx.Done():
				return
			case now := <-poll.C:
				if now.Sub(last) < checkpointEvery && db.walSize() < walLimit {
					continue
				}
				last = now
				if err := db.Checkpoint(ctx); err != nil && ctx.Err() == nil {
					slog.Warn("sqlite store: checkpoint failed", "wal", db.wal, "err", err)
				}
			}
		}
	}()
	return func() {
		cancel()
		<-done
	}
}

func (db *DB) walSize() int64 {
	fi, err := os.Stat(db.wal)
	if err != nil {
		return 0
	}
	return fi.Size()
}
