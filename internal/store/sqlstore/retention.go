package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"slices"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// purgeChunk is how many runs one DELETE … IN (…) of PurgeFinishedJobRuns
// names. Shorter lists are padded to it with their first value, so that
// each statement has one shape (the statement cache keeps one each).
const purgeChunk = 100

// finishedAt is the finished_at column of run: its finishedAt in unix
// milliseconds, NULL until it has one.
func finishedAt(run *emr.JobRun) any {
	if run.FinishedAt == nil || !run.State.Terminal() {
		return nil
	}
	return run.FinishedAt.UnixMilli()
}

// purgedRun is a run PurgeFinishedJobRuns removes.
type purgedRun struct {
	store.RunRef
	token string // its clientToken, "" when it had none
}

// PurgeFinishedJobRuns implements store.Retention, in one transaction: the
// runs are picked by the job_runs_finished index (named: SQLite's planner,
// without statistics, would rather scan job_runs_by_state; and, on
// PostgreSQL, locked), then each table that keeps rows about them is emptied of them
// with a few statements of purgeChunk runs.
func (db *DB) PurgeFinishedJobRuns(ctx context.Context, before time.Time, limit int) ([]store.RunRef, error) {
	if limit <= 0 {
		return nil, nil
	}
	var out []store.RunRef
	err := db.tx(ctx, func(c conn) error {
		runs, err := collect(scanPurgedRun)(c.query(ctx, `SELECT id, virtual_cluster_id, doc FROM job_runs`+
			c.d.IndexedBy("job_runs_finished")+` WHERE finished_at IS NOT NULL AND finished_at < ? AND state IN ('COMPLETED', 'FAILED', 'CANCELLED')
			ORDER BY finished_at LIMIT ?`+c.d.ForUpdate, before.UnixMilli(), limit))
		if err != nil {
			return err
		}
		for chunk := range slices.Chunk(runs, purgeChunk) {
			if err := purgeRuns(ctx, c, chunk); err != nil {
				return err
			}
		}
		out = make([]store.RunRef, len(runs))
		for i, r := range runs {
			out[i] = r.RunRef
		}
		return nil
	})
	if err != nil {
		return nil, wrap(err, "purge finished job runs")
	}
	return out, nil
}

// scanPurgedRun reads a run's id, virtual cluster and the clientToken of
// its document.
func scanPurgedRun(rows *sql.Rows) (purgedRun, error) {
	var (
		r   purgedRun
		doc []byte
	)
	if err := rows.Scan(&r.ID, &r.VirtualClusterID, &doc); err != nil {
		return r, err
	}
	var d struct {
		ClientToken string `json:"clientToken"`
	}
	err := json.Unmarshal(doc, &d)
	r.token = d.ClientToken
	return r, err
}

// purgeRuns deletes the rows of at most purgeChunk runs. Job run ids are
// unique across virtual clusters, so (cluster IN …, run IN …) matches
// exactly the runs' rows.
func purgeRuns(ctx context.Context, c conn, runs []purgedRun) error {
	var ids, clusters, leases, scopes, tokens, tokenIDs []any
	for _, r := range runs {
		ids = append(ids, r.ID)
		clusters = append(clusters, r.VirtualClusterID)
		leases = append(leases, "jobrun/"+r.VirtualClusterID+"/"+r.ID)
		if r.token != "" {
			scopes = append(scopes, "StartJobRun/"+r.VirtualClusterID)
			tokens = append(tokens, c.d.TokenArg(r.token))
			tokenIDs = append(tokenIDs, r.ID)
		}
	}
	in := `IN (` + marks(purgeChunk) + `)`
	stmts := []struct {
		query string
		args  [][]any
	}{
		{`DELETE FROM job_runs WHERE id ` + in, [][]any{ids}}, // by the primary key alone
		{`DELETE FROM job_run_events WHERE job_run_id ` + in, [][]any{ids}},
		{`DELETE FROM job_run_logs WHERE virtual_cluster_id ` + in + ` AND job_run_id ` + in, [][]any{clusters, ids}},
		{`DELETE FROM leases WHERE name ` + in, [][]any{leases}},
		{`DELETE FROM pod_usage WHERE job_run_id ` + in, [][]any{ids}},
		{`DELETE FROM idempotency WHERE scope ` + in + ` AND token ` + in + ` AND resource_id ` + in, [][]any{scopes, tokens, tokenIDs}},
	}
	for _, s := range stmts {
		var all []any
		for _, list := range s.args {
			if len(list) == 0 {
				all = nil
				break
			}
			all = append(all, pad(list, purgeChunk)...)
		}
		if all == nil {
			continue
		}
		if _, err := c.exec(ctx, s.query, all...); err != nil {
			return err
		}
	}
	return nil
}

// pad returns list (1..n values) with its first value repeated up to n.
func pad(list []any, n int) []any {
	out := make([]any, n)
	copy(out, list)
	for i := len(list); i < n; i++ {
		out[i] = list[0]
	}
	return out
}

// PurgeUsage implements store.Retention: the records picked by the
// pod_usage_end index.
func (db *DB) PurgeUsage(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	res, err := db.writer().exec(ctx, `DELETE FROM pod_usage WHERE (job_run_id, attempt, pod) IN (
		SELECT job_run_id, attempt, pod FROM pod_usage WHERE end_at < ? AND rollup_tag_set IS NOT NULL LIMIT ?)`,
		before.UnixMilli(), limit)
	if err != nil {
		return 0, wrap(err, "purge usage")
	}
	n, err := res.RowsAffected()
	return int(n), wrap(err, "purge usage")
}

// PurgeRollups implements store.Retention: the oldest day of each rollup
// table, when it ended by before, and the nodes last seen before it.
func (db *DB) PurgeRollups(ctx context.Context, before time.Time, limit int) (int, error) {
	if limit <= 0 {
		return 0, nil
	}
	cutoff := before.UnixMilli() / 86_400_000 // the days before this one have ended
	total := 0
	err := db.tx(ctx, func(c conn) error {
		for _, table := range []string{"usage_daily", "node_daily"} {
			var oldest sql.NullInt64
			if err := c.row(ctx, `SELECT MIN(day) FROM `+table).Scan(&oldest); err != nil {
				return err
			}
			if !oldest.Valid || oldest.Int64 >= cutoff {
				continue
			}
			res, err := c.exec(ctx, `DELETE FROM `+table+` WHERE day = ?`, oldest.Int64)
			if err != nil {
				return err
			}
			n, err := res.RowsAffected()
			if err != nil {
				return err
			}
			total += int(n)
		}
		res, err := c.exec(ctx, `DELETE FROM nodes WHERE name IN (
			SELECT name FROM nodes WHERE last_seen IS NOT NULL AND last_seen < ? LIMIT ?)`, before.UnixMilli(), limit)
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		total += int(n)
		return err
	})
	return total, wrap(err, "purge cost rollups")
}
