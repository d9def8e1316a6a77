package store

import (
	"context"
	"time"
)

// RunRef names a job run.
type RunRef struct {
	VirtualClusterID, ID string
}

// Retention removes what has been kept long enough (package retention
// decides when): finished job runs with every row about them, the raw
// usage records of cost reports, and, later, the daily rollups those
// reports read once the records are gone. Each call is one short write
// transaction of at most limit items, so API writes interleave between
// calls (on SQLite, which has one writer, they wait at most one batch).
type Retention interface {
	// PurgeFinishedJobRuns removes at most limit job runs that are
	// COMPLETED, FAILED or CANCELLED and finished before before, those
	// that finished first first, and returns them. With each run go its
	// tags, cancel request, state-change events, stored logs, clientToken
	// record, lease ("jobrun/<virtual cluster id>/<job run id>") and usage
	// records, whose contributions stay in the daily rollups (RecordUsage
	// rolls a record up as it writes its end). A run that is not finished
	// is never removed.
	PurgeFinishedJobRuns(ctx context.Context, before time.Time, limit int) ([]RunRef, error)
	// PurgeUsage removes at most limit usage records that ended before
	// before and are rolled up (see Metering), and returns how many. Cost
	// reports over the whole days they covered still answer from the
	// rollups; partial days and reports by job run, node or pod, which
	// read records, no longer count them.
	PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error)
	// PurgeRollups removes the daily rollups of the oldest day kept, if
	// that day ended by before (the rows of one day: a day has as many as
	// the distinct keys of its records), and at most limit nodes last seen
	// before before, and returns how many rows it removed; 0 once there is
	// nothing left to remove.
	PurgeRollups(ctx context.Context, before time.Time, limit int) (int, error)
}
