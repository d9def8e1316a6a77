package sqlite

import (
	"time"

	"github.com/sparkplane/sparkplane/internal/store/sqlstore"
)

// SetRollUpBatch makes RollUpUsage work in batches of n records until the
// returned function restores the size.
func SetRollUpBatch(n int) (restore func()) {
	old := sqlstore.RollUpBatch
	sqlstore.RollUpBatch = n
	return func() { sqlstore.RollUpBatch = old }
}

// SetCheckpointEvery makes the DBs opened until the returned function runs
// check their WAL every d and checkpoint it every d.
func SetCheckpointEvery(d time.Duration) (restore func()) {
	every, poll := checkpointEvery, checkpointPoll
	checkpointEvery, checkpointPoll = d, d
	return func() { checkpointEvery, checkpointPoll = every, poll }
}
