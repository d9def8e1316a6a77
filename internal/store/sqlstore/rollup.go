package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// The daily rollups (internal/store/rollup.go): every write of a record,
// and every tag change of a job run, adds and takes away its contributions
// in the same transaction. A transaction-scoped advisory lock on the job
// run (runLockKey; PostgreSQL only, SQLite has one writer) serialises, per
// run, the writes of its records, its tag changes and the rolling up of its
// old records, so that a record is always counted under the tags its run
// has when the write commits. Rollup rows are written in key order
// (RollupDeltas), so concurrent transactions cannot deadlock on them.

// recordColumns are a usage record, as scanRecord reads it, then the tag
// set it is counted under (pod_usage as u).
const recordColumns = `u.job_run_id, u.virtual_cluster_id, u.attempt, u.pod, u.pod_uid, u.component, u.namespace,
	u.node, u.instance_type, u.capacity_type, u.zone, u.cpu_request, u.memory_request, u.cpu_limit, u.memory_limit,
	u.cpu_used, u.memory_used, u.start_at, u.end_at, u.rollup_tag_set`

// scanRecord reads recordColumns, the tag set into tagSet, and any columns
// after them into more.
func scanRecord(s scanner, tagSet *sql.NullInt64, more ...any) (u cost.Usage, err error) {
	var (
		component, capacity string
		cpuUsed             sql.NullFloat64
		memUsed             sql.NullInt64
		start               int64
		end                 sql.NullInt64
	)
	err = s.Scan(append([]any{&u.JobRunID, &u.VirtualClusterID, &u.Attempt, &u.Pod, &u.PodUID, &component, &u.Namespace,
		&u.Node, &u.InstanceType, &capacity, &u.Zone, &u.Request.CPU, &u.Request.Memory, &u.Limit.CPU, &u.Limit.Memory,
		&cpuUsed, &memUsed, &start, &end, tagSet}, more...)...)
	if err != nil {
		return u, err
	}
	u.Component, u.CapacityType = cost.Component(component), cost.CapacityType(capacity)
	if cpuUsed.Valid || memUsed.Valid {
		u.Used = &cost.Resources{CPU: cpuUsed.Float64, Memory: memUsed.Int64}
	}
	u.Start = time.UnixMilli(start).UTC()
	if end.Valid {
		u.End = time.UnixMilli(end.Int64).UTC()
	}
	return u, nil
}

// counted is a record, the tag set it is counted under and, where a query
// selects them, the tags of its job run.
type counted struct {
	u      cost.Usage
	tagSet sql.NullInt64
	tags   string
}

// scanCounted reads recordColumns.
func scanCounted(rows *sql.Rows) (r counted, err error) {
	r.u, err = scanRecord(rows, &r.tagSet)
	return r, err
}

// readRecord reads one record; found is false when there is none.
func readRecord(ctx context.Context, tx conn, runID string, attempt int, pod string) (u cost.Usage, tagSet sql.NullInt64, found bool, err error) {
	row := tx.row(ctx, `SELECT `+recordColumns+` FROM pod_usage u WHERE job_run_id = ? AND attempt = ? AND pod = ?`,
		runID, attempt, pod)
	u, err = scanRecord(row, &tagSet)
	if errors.Is(err, sql.ErrNoRows) {
		return u, tagSet, false, nil
	}
	return u, tagSet, err == nil, err
}

// runLockKey is the advisory lock key of a job run's usage records.
func runLockKey(runID string) int64 { return lockKey("rollup\x00" + runID) }

// runTags is the tags column of a job run ("{}" when there is no such run,
// as reports join it).
func runTags(ctx context.Context, tx conn, runID string) (string, error) {
	var tags string
	err := tx.row(ctx, `SELECT tags FROM job_runs WHERE id = ?`, runID).Scan(&tags)
	if errors.Is(err, sql.ErrNoRows) {
		return "{}", nil
	}
	return tags, err
}

// tagSetID returns the id of the tag set of a tags column, adding it if
// new (a concurrent transaction adding the same one first: its id, read
// after it commits).
func tagSetID(ctx context.Context, tx conn, tagsColumn string) (int64, error) {
	enc, digest, err := tagSet(tagsColumn)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.row(ctx, `SELECT id FROM tag_sets WHERE digest = ?`, digest).Scan(&id)
	if !errors.Is(err, sql.ErrNoRows) {
		return id, err
	}
	err = tx.row(ctx, `INSERT INTO tag_sets (digest, tags) VALUES (?, ?) ON CONFLICT (digest) DO NOTHING RETURNING id`, digest, enc).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		err = tx.row(ctx, `SELECT id FROM tag_sets WHERE digest = ?`, digest).Scan(&id)
	}
	return id, err
}

var (
	sqlUpsertDaily = `INSERT INTO usage_daily (` + strings.Join(rollupKeyColumns, ", ") + `, ` +
		strings.Join(rollupSumColumns, ", ") + `) VALUES (` + marks(len(rollupKeyColumns)+len(rollupSumColumns)) +
		`) ON CONFLICT (` + strings.Join(rollupKeyColumns, ", ") + `) DO UPDATE SET ` +
		upsertSet("usage_daily", rollupSumColumns)
	sqlUpsertNodeDaily = `INSERT INTO node_daily (` + strings.Join(nodeRollupColumns, ", ") + `) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (day, node, instance_type, capacity_type) DO UPDATE SET ` +
		upsertSet("node_daily", []string{"cpu_seconds", "gib_seconds"})
)

// applyDeltas writes d to the rollups.
func applyDeltas(ctx context.Context, tx conn, d *rollupDeltas) error {
	for _, u := range d.Usage() {
		if _, err := tx.exec(ctx, sqlUpsertDaily, append(u.Key.Values(), u.Sums.Values()...)...); err != nil {
			return fmt.Errorf("roll up usage: %w", err)
		}
	}
	for _, n := range d.Nodes() {
		if _, err := tx.exec(ctx, sqlUpsertNodeDaily, n.Values()...); err != nil {
			return fmt.Errorf("roll up node usage: %w", err)
		}
	}
	return nil
}

// moveRollups counts the finished records of a job run (whose lock tx
// holds) under the tag set of its tags column tags, taking them from
// wherever they were counted.
func moveRollups(ctx context.Context, tx conn, runID, tags string) error {
	to, err := tagSetID(ctx, tx, tags)
	if err != nil {
		return err
	}
	recs, err := collect(scanCounted)(tx.query(ctx, `SELECT `+recordColumns+` FROM pod_usage u
		WHERE job_run_id = ? AND rollup_tag_set IS NOT NULL AND rollup_tag_set <> ?`, runID, to))
	if err != nil {
		return err
	}
	var d rollupDeltas
	for _, r := range recs {
		d.Add(&r.u, r.tagSet.Int64, -1)
		d.Add(&r.u, to, 1)
	}
	if _, err := tx.exec(ctx, `UPDATE pod_usage SET rollup_tag_set = ?
		WHERE job_run_id = ? AND rollup_tag_set IS NOT NULL AND rollup_tag_set <> ?`, to, runID, to); err != nil {
		return err
	}
	return applyDeltas(ctx, tx, &d)
}

// RollUpBatch is how many records RollUpUsage rolls up per transaction (a
// variable for the tests of several batches).
var RollUpBatch = 20_000

// rollUpLock is the advisory lock that servers rolling up old records take
// turns on.
const rollUpLock = 0x726f6c6c7570 // "rollup"

// RollUpUsage rolls up the finished records that are not yet (those written
// before the rollups existed, or by hand), in transactions of about
// RollUpBatch records (those of the runs of the first RollUpBatch), and
// returns how many it rolled up. New calls it.
func (db *DB) RollUpUsage(ctx context.Context) (int, error) {
	total := 0
	for {
		n, err := db.rollUpBatch(ctx)
		if err != nil {
			return total, fmt.Errorf("roll up usage: %w", err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}

// rollUpBatch rolls up one batch in one transaction, holding the locks of
// its runs (taken in key order, so that two such transactions cannot
// deadlock).
func (db *DB) rollUpBatch(ctx context.Context) (n int, err error) {
	err = db.tx(ctx, func(tx conn) error {
		if err := tx.lock(ctx, rollUpLock); err != nil {
			return err
		}
		runs, err := collect(scanOne[string])(tx.query(ctx, `SELECT DISTINCT job_run_id FROM (SELECT job_run_id
			FROM pod_usage`+db.d.IndexedBy("pod_usage_unrolled")+` WHERE end_at IS NOT NULL AND rollup_tag_set IS NULL
			ORDER BY job_run_id LIMIT ?) b`, RollUpBatch))
		if err != nil || len(runs) == 0 {
			return err
		}
		keys := make([]int64, len(runs))
		for i, id := range runs {
			keys[i] = runLockKey(id)
		}
		slices.Sort(keys)
		for _, k := range keys {
			if err := tx.lock(ctx, k); err != nil {
				return err
			}
		}
		recs, err := collect(func(rows *sql.Rows) (r counted, err error) {
			r.u, err = scanRecord(rows, &r.tagSet, &r.tags)
			return r, err
		})(tx.query(ctx, `SELECT `+recordColumns+`, COALESCE((SELECT tags FROM job_runs r WHERE r.id = u.job_run_id), '{}')
			FROM pod_usage u WHERE job_run_id IN (`+marks(len(runs))+`) AND end_at IS NOT NULL AND rollup_tag_set IS NULL`, args(runs)...))
		if err != nil {
			return err
		}
		ids := map[string]int64{}
		runsOf := map[int64][]string{} // by tag set: a run's records share its tags
		var d rollupDeltas
		for _, r := range recs {
			id, ok := ids[r.tags]
			if !ok {
				if id, err = tagSetID(ctx, tx, r.tags); err != nil {
					return err
				}
				ids[r.tags] = id
			}
			d.Add(&r.u, id, 1)
			if runs := runsOf[id]; len(runs) == 0 || runs[len(runs)-1] != r.u.JobRunID {
				runsOf[id] = append(runs, r.u.JobRunID)
			}
		}
		// One statement per tag set and chunk of runs: the run locks held
		// keep every other writer of these runs' records out meanwhile.
		for id, runs := range runsOf {
			for chunk := range slices.Chunk(slices.Compact(slices.Sorted(slices.Values(runs))), 1000) {
				if _, err := tx.exec(ctx, `UPDATE pod_usage SET rollup_tag_set = ?
					WHERE job_run_id IN (`+marks(len(chunk))+`) AND end_at IS NOT NULL AND rollup_tag_set IS NULL`,
					append([]any{id}, args(chunk)...)...); err != nil {
					return err
				}
			}
		}
		n = len(recs)
		return applyDeltas(ctx, tx, &d)
	})
	return n, err
}
