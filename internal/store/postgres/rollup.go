package postgres

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/store"
)

// The daily rollups (migration 0005, internal/store/rollup.go): every write
// of a record, and every tag change of a job run, adds and takes away its
// contributions in the same transaction. A transaction-scoped advisory lock
// on the job run (lockRun) serialises, per run, the writes of its records,
// its tag changes and the rolling up of its old records, so that a record
// is always counted under the tags its run has when the write commits.
// Rollup rows are then written in key order (RollupDeltas), so concurrent
// transactions cannot deadlock on them.

// recordColumns are what a record contributes to the rollups by, and the
// tag set it is counted under.
const recordColumns = `job_run_id, virtual_cluster_id, attempt, pod, component, namespace, node, instance_type,
	capacity_type, zone, cpu_request, memory_request, cpu_used, memory_used, start_at, end_at, rollup_tag_set`

// scanRecord reads recordColumns (and any columns after them into more).
func scanRecord(s pgx.Row, more ...any) (u cost.Usage, tagSet *int64, err error) {
	var (
		component, capacity string
		cpuUsed             *float64
		memUsed             *int64
		start               int64
		end                 *int64
	)
	err = s.Scan(append([]any{&u.JobRunID, &u.VirtualClusterID, &u.Attempt, &u.Pod, &component, &u.Namespace, &u.Node,
		&u.InstanceType, &capacity, &u.Zone, &u.Request.CPU, &u.Request.Memory, &cpuUsed, &memUsed, &start, &end, &tagSet},
		more...)...)
	if err != nil {
		return u, nil, err
	}
	u.Component, u.CapacityType = cost.Component(component), cost.CapacityType(capacity)
	if cpuUsed != nil || memUsed != nil {
		u.Used = &cost.Resources{}
		if cpuUsed != nil {
			u.Used.CPU = *cpuUsed
		}
		if memUsed != nil {
			u.Used.Memory = *memUsed
		}
	}
	u.Start = time.UnixMilli(start).UTC()
	if end != nil {
		u.End = time.UnixMilli(*end).UTC()
	}
	return u, tagSet, nil
}

// readRecord reads one record; found is false when there is none.
func readRecord(ctx context.Context, tx pgx.Tx, runID string, attempt int, pod string) (u cost.Usage, tagSet *int64, found bool, err error) {
	row := tx.QueryRow(ctx, `SELECT `+recordColumns+` FROM pod_usage WHERE job_run_id = $1 AND attempt = $2 AND pod = $3`,
		runID, attempt, pod)
	u, tagSet, err = scanRecord(row)
	if errors.Is(err, pgx.ErrNoRows) {
		return u, nil, false, nil
	}
	return u, tagSet, err == nil, err
}

// lockRun takes the job run's rollup lock until tx ends.
func lockRun(ctx context.Context, tx pgx.Tx, runID string) error {
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, runLockKey(runID))
	return err
}

// lockRuns takes the rollup locks of several job runs, in key order (so
// that two transactions taking several cannot deadlock), in one statement.
func lockRuns(ctx context.Context, tx pgx.Tx, runIDs []string) error {
	keys := make([]int64, len(runIDs))
	for i, id := range runIDs {
		keys[i] = runLockKey(id)
	}
	slices.Sort(keys)
	_, err := tx.Exec(ctx, `SELECT count(pg_advisory_xact_lock(k)) FROM (SELECT k FROM unnest($1::bigint[]) k ORDER BY k) s`, keys)
	return err
}

func runLockKey(runID string) int64 {
	h := fnv.New64a()
	h.Write([]byte("rollup\x00" + runID))
	return int64(h.Sum64())
}

// runTags is the tags column of a job run ("{}" when there is no such run,
// as reports join it).
func runTags(ctx context.Context, tx pgx.Tx, runID string) (string, error) {
	var tags string
	err := tx.QueryRow(ctx, `SELECT tags FROM job_runs WHERE id = $1`, runID).Scan(&tags)
	if errors.Is(err, pgx.ErrNoRows) {
		return "{}", nil
	}
	return tags, err
}

// tagSetID returns the id of the tag set of a tags column, adding it if
// new (a concurrent transaction adding the same one first: its id, read
// after it commits).
func tagSetID(ctx context.Context, tx pgx.Tx, tagsColumn string) (int64, error) {
	enc, digest, err := store.TagSet(tagsColumn)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRow(ctx, `SELECT id FROM tag_sets WHERE digest = $1`, digest).Scan(&id)
	if !errors.Is(err, pgx.ErrNoRows) {
		return id, err
	}
	err = tx.QueryRow(ctx, `INSERT INTO tag_sets (digest, tags) VALUES ($1, $2) ON CONFLICT (digest) DO NOTHING RETURNING id`,
		digest, enc).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		err = tx.QueryRow(ctx, `SELECT id FROM tag_sets WHERE digest = $1`, digest).Scan(&id)
	}
	return id, err
}

var (
	sqlUpsertDaily = `INSERT INTO usage_daily (` + strings.Join(store.RollupKeyColumns, ", ") + `, ` +
		strings.Join(store.RollupSumColumns, ", ") + `) VALUES (` + placeholders(len(store.RollupKeyColumns)+len(store.RollupSumColumns)) +
		`) ON CONFLICT (` + strings.Join(store.RollupKeyColumns, ", ") + `) DO UPDATE SET ` +
		store.UpsertSet("usage_daily", store.RollupSumColumns)
	sqlUpsertNodeDaily = `INSERT INTO node_daily (` + strings.Join(store.NodeRollupColumns, ", ") + `) VALUES (` + placeholders(6) + `)
		ON CONFLICT (day, node, instance_type, capacity_type) DO UPDATE SET ` +
		store.UpsertSet("node_daily", []string{"cpu_seconds", "gib_seconds"})
)

func placeholders(n int) string {
	var p []string
	for i := range n {
		p = append(p, fmt.Sprintf("$%d", i+1))
	}
	return strings.Join(p, ", ")
}

// applyDeltas writes d to the rollups, in one round trip.
func applyDeltas(ctx context.Context, tx pgx.Tx, d *store.RollupDeltas) error {
	var b pgx.Batch
	for _, u := range d.Usage() {
		b.Queue(sqlUpsertDaily, append(u.Key.Values(), u.Sums.Values()...)...)
	}
	for _, n := range d.Nodes() {
		b.Queue(sqlUpsertNodeDaily, n.Values()...)
	}
	if b.Len() == 0 {
		return nil
	}
	if err := tx.SendBatch(ctx, &b).Close(); err != nil {
		return fmt.Errorf("roll up usage: %w", err)
	}
	return nil
}

// moveRollups counts the finished records of a job run (whose lock tx
// holds) under the tag set of its tags column tags, taking them from
// wherever they were counted.
func moveRollups(ctx context.Context, tx pgx.Tx, runID, tags string) error {
	to, err := tagSetID(ctx, tx, tags)
	if err != nil {
		return err
	}
	rows, err := tx.Query(ctx, `SELECT `+recordColumns+` FROM pod_usage
		WHERE job_run_id = $1 AND rollup_tag_set IS NOT NULL AND rollup_tag_set <> $2`, runID, to)
	if err != nil {
		return err
	}
	var d store.RollupDeltas
	for rows.Next() {
		u, from, err := scanRecord(rows)
		if err != nil {
			rows.Close()
			return err
		}
		d.Add(&u, *from, -1)
		d.Add(&u, to, 1)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE pod_usage SET rollup_tag_set = $1
		WHERE job_run_id = $2 AND rollup_tag_set IS NOT NULL AND rollup_tag_set <> $1`, to, runID); err != nil {
		return err
	}
	return applyDeltas(ctx, tx, &d)
}

// rollUpBatch is how many records RollUpUsage rolls up per transaction.
var rollUpBatch = 20_000 // a variable for the tests of several batches

// rollUpLock is the advisory lock that servers rolling up old records take
// turns on.
const rollUpLock = 0x726f6c6c7570 // "rollup"

// RollUpUsage rolls up the finished records that are not yet (those written
// before migration 0005, or by hand), in transactions of rollUpBatch
// records, and returns how many it rolled up. Open calls it.
func (db *DB) RollUpUsage(ctx context.Context) (int, error) {
	total := 0
	for {
		n := 0
		err := db.tx(ctx, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(rollUpLock)); err != nil {
				return err
			}
			var runs []string
			if err := func() error {
				rows, err := tx.Query(ctx, `SELECT DISTINCT job_run_id FROM (SELECT job_run_id FROM pod_usage
					WHERE end_at IS NOT NULL AND rollup_tag_set IS NULL ORDER BY job_run_id LIMIT $1) b`, rollUpBatch)
				if err != nil {
					return err
				}
				runs, err = pgx.CollectRows(rows, pgx.RowTo[string])
				return err
			}(); err != nil {
				return err
			}
			if err := lockRuns(ctx, tx, runs); err != nil {
				return err
			}
			type rec struct {
				u    cost.Usage
				tags string
			}
			rows, err := tx.Query(ctx, `SELECT `+recordColumns+`, COALESCE((SELECT tags FROM job_runs r WHERE r.id = u.job_run_id), '{}')
				FROM pod_usage u WHERE job_run_id = ANY($1) AND end_at IS NOT NULL AND rollup_tag_set IS NULL`, runs)
			if err != nil {
				return err
			}
			var recs []rec
			for rows.Next() {
				var r rec
				if r.u, _, err = scanRecord(rows, &r.tags); err != nil {
					rows.Close()
					return err
				}
				recs = append(recs, r)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
			ids := map[string]int64{}
			var d store.RollupDeltas
			var runIDs, pods []string
			var attempts, sets []int64
			for _, r := range recs {
				id, ok := ids[r.tags]
				if !ok {
					if id, err = tagSetID(ctx, tx, r.tags); err != nil {
						return err
					}
					ids[r.tags] = id
				}
				d.Add(&r.u, id, 1)
				runIDs, attempts, pods, sets = append(runIDs, r.u.JobRunID), append(attempts, int64(r.u.Attempt)), append(pods, r.u.Pod), append(sets, id)
			}
			if _, err := tx.Exec(ctx, `UPDATE pod_usage u SET rollup_tag_set = x.ts
				FROM unnest($1::text[], $2::bigint[], $3::text[], $4::bigint[]) AS x(run, attempt, pod, ts)
				WHERE u.job_run_id = x.run AND u.attempt = x.attempt AND u.pod = x.pod`, runIDs, attempts, pods, sets); err != nil {
				return err
			}
			n = len(recs)
			return applyDeltas(ctx, tx, &d)
		})
		if err != nil {
			return total, fmt.Errorf("roll up usage: %w", err)
		}
		total += n
		if n == 0 {
			return total, nil
		}
	}
}
