package bench

import (
	"context"
	"database/sql"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/retention"
	"github.com/sparkplane/sparkplane/internal/store"
)

// purgedRuns is how many finished runs BenchmarkRetention stores (1 % of
// them still RUNNING, which the purge keeps), each with a state-change
// event, a stored log and a clientToken record.
const purgedRuns = 100_000

// retentionClients call StartJobRun at once during each phase.
const retentionClients = 4

// BenchmarkRetention measures StartJobRun, through the real HTTP API
// handler with the AWS SDK for Go as client, on a store holding 100,000
// expired finished runs: first with no purge (3,000 calls), then while a
// retention pass (injected clock: every run expired; batches of 100,
// 10 ms apart) removes them. It reports p50 and p99 of each phase side by
// side, and the purge's length and rate; on SQLite and PostgreSQL.
func BenchmarkRetention(b *testing.B) {
	onBothStores(b, fillRetentionSQLite, fillRetentionPostgres, benchRetention)
}

func benchRetention(b *testing.B, st store.Store, vc *emr.VirtualCluster) {
	ctx := b.Context()
	active := 0
	for i := range purgedRuns {
		if !benchState(i).Terminal() {
			active++
		}
	}
	b.Logf("stored %d job runs (%d still running)", purgedRuns, active)

	srv := api.New(st, discard{}, api.Options{Partition: benchPartition, Clusters: []string{"local"},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	c := emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(ts.URL),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", ""), RetryMaxAttempts: 1})
	var token atomic.Int64
	start1 := func() (time.Duration, error) {
		t0 := time.Now()
		_, err := c.StartJobRun(ctx, &emrcontainers.StartJobRunInput{VirtualClusterId: aws.String(vc.ID), Name: aws.String("pi"),
			ClientToken: aws.String(fmt.Sprint("t-", token.Add(1))), ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
			ReleaseLabel: aws.String("emr-7.2.0-latest"),
			JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
				EntryPoint:            aws.String("local:///usr/lib/spark/examples/src/main/python/pi.py"),
				SparkSubmitParameters: aws.String("--conf spark.executor.instances=2 --conf spark.executor.memory=2G")}}})
		return time.Since(t0), err
	}
	// calls runs StartJobRun from retentionClients clients until done
	// returns true (checked before each call), and returns the latencies.
	calls := func(done func(n int) bool) []time.Duration {
		var (
			mu  sync.Mutex
			lat []time.Duration
			wg  sync.WaitGroup
		)
		for range retentionClients {
			wg.Go(func() {
				for {
					mu.Lock()
					stop := done(len(lat))
					mu.Unlock()
					if stop || b.Failed() {
						return
					}
					d, err := start1()
					if err != nil {
						b.Error(err)
						return
					}
					mu.Lock()
					lat = append(lat, d)
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		slices.Sort(lat)
		return lat
	}
	for range 200 { // warm up connections and statement caches
		if _, err := start1(); err != nil {
			b.Fatal(err)
		}
	}
	now := time.Now() // every stored run finished in 2025-2026: all expired at now+1y
	b.ResetTimer()
	for range b.N {
		// Without a purge first (on the full store), then while the pass
		// empties it.
		idle := calls(func(n int) bool { return n >= 3000 })
		var (
			purgeDone atomic.Bool
			res       retention.Result
			perr      error
			pstart    = time.Now()
			pdur      time.Duration
		)
		p := retention.New(st.(retention.Store), retention.Options{JobRuns: 90 * 24 * time.Hour,
			Now: func() time.Time { return now.Add(365 * 24 * time.Hour) }})
		go func() {
			res, perr = p.Pass(ctx)
			pdur = time.Since(pstart)
			purgeDone.Store(true)
		}()
		during := calls(func(int) bool { return purgeDone.Load() })
		if perr != nil {
			b.Fatalf("Pass() error = %v", perr)
		}
		if want := purgedRuns - active; res.JobRuns != want {
			b.Fatalf("Pass() removed %d runs, want %d", res.JobRuns, want)
		}
		left, err := st.CountJobRuns(ctx, vc.ID, emr.JobRunCompleted, emr.JobRunFailed, emr.JobRunCancelled)
		if err != nil || left != 0 {
			b.Fatalf("%d finished runs left, %v", left, err)
		}
		if len(during) < 100 {
			b.Fatalf("only %d calls during the purge", len(during))
		}
		b.ReportMetric(ms(idle[len(idle)/2]), "idle-p50-ms")
		b.ReportMetric(ms(idle[len(idle)*99/100]), "idle-p99-ms")
		b.ReportMetric(ms(during[len(during)/2]), "purge-p50-ms")
		b.ReportMetric(ms(during[len(during)*99/100]), "purge-p99-ms")
		b.ReportMetric(ms(during[len(during)-1]), "purge-max-ms")
		b.ReportMetric(float64(len(during)), "purge-calls")
		b.ReportMetric(pdur.Seconds(), "purge-s")
		b.ReportMetric(float64(res.JobRuns)/pdur.Seconds(), "purged-runs/s")
		b.Logf("idle: %d calls; during the purge: %d calls; purge %d runs in %s; load average %s",
			len(idle), len(during), res.JobRuns, pdur.Round(time.Millisecond), loadAverage())
	}
	b.ReportMetric(0, "ns/op")
}

// retentionRow is run i with its document and the rows about it.
type retentionRow struct {
	run    *emr.JobRun
	doc    string
	finish any // finished_at: unix ms, or nil while running
}

func retentionRun(vc *emr.VirtualCluster, i int) (retentionRow, error) {
	run, doc, err := benchDoc(vc, i)
	r := retentionRow{run: run, doc: doc}
	if run.FinishedAt != nil {
		r.finish = run.FinishedAt.UnixMilli()
	}
	return r, err
}

// fillRetentionSQLite inserts the runs and their rows through a
// connection of its own, in transactions of 20,000 runs.
func fillRetentionSQLite(ctx context.Context, path string, vc *emr.VirtualCluster) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	const batch = 20_000
	for start := 0; start < purgedRuns; start += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		err = func() error {
			for i := start; i < min(start+batch, purgedRuns); i++ {
				r, err := retentionRun(vc, i)
				if err != nil {
					return err
				}
				for _, q := range retentionInserts(vc, r, i) {
					if _, err := tx.ExecContext(ctx, q.sql, q.args...); err != nil {
						return fmt.Errorf("run %d: %w", i, err)
					}
				}
			}
			return nil
		}()
		if err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}

type insert struct {
	sql  string
	args []any
}

// retentionInserts are the rows of run i, in SQLite's placeholders.
func retentionInserts(vc *emr.VirtualCluster, r retentionRow, i int) []insert {
	run := r.run
	return []insert{
		{`INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc, tags, state_changes, finished_at) VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?)`,
			[]any{run.ID, vc.ID, run.Name, string(run.State), run.CreatedAt.UnixMilli(), r.doc, benchTags, r.finish}},
		{`INSERT INTO job_run_events (virtual_cluster_id, job_run_id, seq, arn, created_at, detail) VALUES (?, ?, 1, ?, ?, '{}')`,
			[]any{vc.ID, run.ID, run.ARN, run.CreatedAt.UnixMilli()}},
		{`INSERT INTO job_run_logs (virtual_cluster_id, job_run_id, attempt, stream, data) VALUES (?, ?, 1, 'stdout', ?)`,
			[]any{vc.ID, run.ID, []byte("Pi is roughly 3.14\n")}},
		{`INSERT INTO idempotency (scope, token, request_hash, resource_id, created_at) VALUES (?, ?, 'h', ?, ?)`,
			[]any{"StartJobRun/" + vc.ID, run.ClientToken, run.ID, run.CreatedAt.UnixMilli()}},
	}
}

// fillRetentionPostgres copies the runs and their rows in (COPY), then
// vacuums and analyzes the tables.
func fillRetentionPostgres(ctx context.Context, url string, vc *emr.VirtualCluster) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	rows := make([]retentionRow, purgedRuns)
	for i := range rows {
		if rows[i], err = retentionRun(vc, i); err != nil {
			return err
		}
	}
	copies := []struct {
		table string
		cols  []string
		row   func(r retentionRow) []any
	}{
		{"job_runs", []string{"id", "virtual_cluster_id", "name", "state", "created_at", "doc", "tags", "state_changes", "finished_at"},
			func(r retentionRow) []any {
				return []any{r.run.ID, vc.ID, r.run.Name, string(r.run.State), r.run.CreatedAt.UnixMilli(), r.doc, benchTags, 1, r.finish}
			}},
		{"job_run_events", []string{"virtual_cluster_id", "job_run_id", "seq", "arn", "created_at", "detail"},
			func(r retentionRow) []any {
				return []any{vc.ID, r.run.ID, 1, r.run.ARN, r.run.CreatedAt.UnixMilli(), "{}"}
			}},
		{"job_run_logs", []string{"virtual_cluster_id", "job_run_id", "attempt", "stream", "data"},
			func(r retentionRow) []any { return []any{vc.ID, r.run.ID, 1, "stdout", []byte("Pi is roughly 3.14\n")} }},
		{"idempotency", []string{"scope", "token", "request_hash", "resource_id", "created_at"},
			func(r retentionRow) []any {
				return []any{"StartJobRun/" + vc.ID, []byte(r.run.ClientToken), "h", r.run.ID, r.run.CreatedAt.UnixMilli()}
			}},
	}
	for _, cp := range copies {
		i := 0
		n, err := conn.CopyFrom(ctx, pgx.Identifier{cp.table}, cp.cols, pgx.CopyFromFunc(func() ([]any, error) {
			if i == len(rows) {
				return nil, nil
			}
			i++
			return cp.row(rows[i-1]), nil
		}))
		if err != nil {
			return fmt.Errorf("copy %s: %w", cp.table, err)
		}
		if n != int64(len(rows)) {
			return fmt.Errorf("copied %d rows into %s, want %d", n, cp.table, len(rows))
		}
		if _, err := conn.Exec(ctx, `VACUUM ANALYZE `+cp.table); err != nil {
			return err
		}
	}
	return nil
}
