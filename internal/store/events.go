package store

import (
	"context"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// JobRunEvent is one state change of a job run, as the store's outbox
// keeps it: CreateJobRun appends the run's PENDING, and UpdateJobRun each
// change of its state, in the transaction that writes the run, so the
// outbox holds every state change that happened and none that did not.
type JobRunEvent struct {
	// Cursor places the event in the outbox: cursors grow in the order the
	// changes were committed (with gaps), so a reader that has seen every
	// event up to a cursor never sees an earlier one appear after it.
	Cursor int64
	// ARN is the run's ARN, Time when it changed state.
	ARN  string
	Time time.Time
	// Change is the run as it entered its new state.
	Change emr.JobRunStateChange
}

// Event is the EventBridge event of e.
func (e JobRunEvent) Event() emr.Event { return emr.NewEvent(e.ARN, e.Time, e.Change) }

// Events is the outbox of job-run state changes and the cursors of those
// who deliver them.
type Events interface {
	// JobRunEvents returns the events whose cursor is above after, by
	// cursor, at most limit; of the given virtual clusters only, when
	// virtualClusterIDs is not nil.
	JobRunEvents(ctx context.Context, after int64, limit int, virtualClusterIDs []string) ([]JobRunEvent, error)
	// LastJobRunEvent returns the cursor of the newest event, 0 when none.
	LastJobRunEvent(ctx context.Context) (int64, error)
	// DeliveryCursor returns how far the destination called name has
	// taken the outbox (the cursor of its last event delivered), 0 when it
	// has taken nothing.
	DeliveryCursor(ctx context.Context, name string) (int64, error)
	// SetDeliveryCursor records that name has taken every event up to
	// cursor; a cursor below the one recorded is ignored (a cursor never
	// moves back).
	SetDeliveryCursor(ctx context.Context, name string, cursor int64) error
	// PruneJobRunEvents deletes the events older than before whose cursor
	// is at most upTo (what every destination has taken), and returns how
	// many it deleted.
	PruneJobRunEvents(ctx context.Context, before time.Time, upTo int64) (int, error)
}
