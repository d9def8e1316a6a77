package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// outboxLock is the key of the advisory lock that a transaction appending
// to the outbox holds from before it draws the event's id until it
// commits: so ids commit in increasing order, and a reader that has read
// up to an id never sees a smaller one commit after (SQLite's single
// writer already orders them).
var outboxLock = lockKey("job_run_events")

// stateChanges returns the state changes of run to record when it is
// written over a row in state from: those Apply recorded in run.Changes,
// the last as the run is written, or, when it recorded none, the change
// into the run's state if that is not from.
func stateChanges(run *emr.JobRun, from emr.JobRunState) []emr.JobRunStateChange {
	changes := slices.Clone(run.Changes)
	if len(changes) == 0 && run.State == from {
		return nil
	}
	if len(changes) == 0 || changes[len(changes)-1].State != run.State {
		changes = append(changes, emr.JobRunStateChange{})
	}
	return changes
}

// appendJobRunEvents appends the changes of run to the outbox, in the
// transaction of c, the last numbered seq (the run's count of changes with
// them) and made the run as it is written.
func appendJobRunEvents(ctx context.Context, c conn, run *emr.JobRun, changes []emr.JobRunStateChange, seq int64) error {
	last := &changes[len(changes)-1]
	at := last.At
	*last = emr.NewJobRunStateChange(run, 0)
	last.At = at
	if err := c.lock(ctx, outboxLock); err != nil {
		return err
	}
	now := time.Now()
	for i, change := range changes {
		change.Sequence = seq - int64(len(changes)-1-i)
		at := change.At
		if at.IsZero() {
			at = now
		}
		detail, err := json.Marshal(change)
		if err != nil {
			return err
		}
		if _, err := c.exec(ctx, `INSERT INTO job_run_events (virtual_cluster_id, job_run_id, seq, arn, created_at, detail)
			VALUES (?, ?, ?, ?, ?, ?)`, run.VirtualClusterID, run.ID, change.Sequence, run.ARN, at.UnixMilli(), string(detail)); err != nil {
			return wrap(err, "append state change event")
		}
	}
	return nil
}

// JobRunEvents implements store.Events.
func (db *DB) JobRunEvents(ctx context.Context, after int64, limit int, virtualClusterIDs []string) ([]store.JobRunEvent, error) {
	if virtualClusterIDs != nil && len(virtualClusterIDs) == 0 {
		return nil, nil
	}
	var w where
	w.add("id > ?", after)
	if virtualClusterIDs != nil {
		w.in("virtual_cluster_id", args(virtualClusterIDs))
	}
	events, err := collect(scanJobRunEvent)(db.reader().query(ctx,
		`SELECT id, arn, created_at, detail FROM job_run_events`+w.String()+` ORDER BY id LIMIT ?`, append(w.args, limit)...))
	return events, wrap(err, "read job run events")
}

func scanJobRunEvent(rows *sql.Rows) (store.JobRunEvent, error) {
	var (
		e      store.JobRunEvent
		at     int64
		detail string
	)
	if err := rows.Scan(&e.Cursor, &e.ARN, &at, &detail); err != nil {
		return e, err
	}
	e.Time = time.UnixMilli(at).UTC()
	return e, json.Unmarshal([]byte(detail), &e.Change)
}

// LastJobRunEvent implements store.Events.
func (db *DB) LastJobRunEvent(ctx context.Context) (int64, error) {
	var last int64
	err := db.reader().row(ctx, `SELECT COALESCE(MAX(id), 0) FROM job_run_events`).Scan(&last)
	return last, wrap(err, "read last job run event")
}

// DeliveryCursor implements store.Events.
func (db *DB) DeliveryCursor(ctx context.Context, name string) (int64, error) {
	var cursor int64
	err := db.reader().row(ctx, `SELECT delivered FROM event_deliveries WHERE destination = ?`, name).Scan(&cursor)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return cursor, wrap(err, "read delivery cursor of %s", name)
}

// SetDeliveryCursor implements store.Events.
func (db *DB) SetDeliveryCursor(ctx context.Context, name string, cursor int64) error {
	_, err := db.writer().exec(ctx, `INSERT INTO event_deliveries (destination, delivered) VALUES (?, ?)
		ON CONFLICT (destination) DO UPDATE SET delivered = excluded.delivered
		WHERE event_deliveries.delivered < excluded.delivered`, name, cursor)
	return wrap(err, "set delivery cursor of %s", name)
}

// PruneJobRunEvents implements store.Events.
func (db *DB) PruneJobRunEvents(ctx context.Context, before time.Time, upTo int64) (int, error) {
	// A range of the primary key (events are stamped about in id order).
	res, err := db.writer().exec(ctx, `DELETE FROM job_run_events WHERE id <= ? AND created_at < ?`, upTo, before.UnixMilli())
	if err != nil {
		return 0, wrap(err, "prune job run events")
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "prune job run events")
}
