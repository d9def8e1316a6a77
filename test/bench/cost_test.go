package bench

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/postgres"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// The cost report benchmark (issue 5): a report grouped by virtual cluster
// and day over 1,000,000 job runs and their pod records, read from SQLite.
const (
	costRuns     = 1_000_000
	costClusters = 20
	costNodes    = 500
	costDays     = 30
)

// costPods is how many pod records to store: $SPARKPLANE_BENCH_COST_PODS,
// 10,000,000 (10 per run) by default.
func costPods(b *testing.B) int {
	n := 10_000_000
	if s := os.Getenv("SPARKPLANE_BENCH_COST_PODS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil || n < costRuns {
			b.Fatalf("SPARKPLANE_BENCH_COST_PODS=%q: want a number ≥ %d", s, costRuns)
		}
	}
	return n
}

var costEpoch = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// BenchmarkCostReport fills a store (bulk SQL in the store's own schema,
// not timed) with 20 virtual clusters, 1,000,000 job runs over 30 days (a
// third tagged team=data, a third team=ml) and costPods pod records (a job
// runner, a driver and executors per run, on 500 m5/r5 nodes, spot and
// on-demand, 5 to 35 minutes each), rolls them up as opening a store
// written before the rollups does (timed, logged), then times the report
// the issue names, every record of the 30 days grouped by virtual cluster
// and day with idle rows, two ways: "records", from every record
// (store.Usage into cost.Aggregate, as before the rollups), and "report",
// as GET /sparkplane/v1/cost computes it (store.ReadMetering into
// cost.Build: the daily rollups). It checks that both give the same rows
// and costs to the cent, and reports the wall time, the bytes allocated and
// the peak heap in use of each.
func BenchmarkCostReport(b *testing.B) {
	pods := costPods(b)
	b.Run("store=sqlite", func(b *testing.B) {
		path := filepath.Join(b.TempDir(), "cost.db")
		st, err := sqlite.Open(b.Context(), path)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchCostReport(b, st, pods, func() error { return fillCost(b.Context(), st, path, pods) })
	})
	b.Run("store=postgres", func(b *testing.B) {
		dbURL := pgenv.Start(b).NewDatabase(b)
		st, err := postgres.Open(b.Context(), dbURL)
		if err != nil {
			b.Fatal(err)
		}
		defer st.Close()
		benchCostReport(b, st, pods, func() error { return fillCostPostgres(b.Context(), st, dbURL, pods) })
	})
}

func benchCostReport(b *testing.B, st store.Store, pods int, fill func() error) {
	start := time.Now()
	if err := fill(); err != nil {
		b.Fatalf("fill: %v", err)
	}
	b.Logf("stored %d job runs and %d pod records in %s", costRuns, pods, time.Since(start).Round(time.Second))
	start = time.Now()
	n, err := st.(interface {
		RollUpUsage(context.Context) (int, error)
	}).RollUpUsage(b.Context())
	if err != nil || n != pods {
		b.Fatalf("RollUpUsage() = %d, %v; want %d", n, err, pods)
	}
	b.Logf("rolled up %d pod records (what opening a store written before the rollups does) in %s", n, time.Since(start).Round(time.Second))
	from, to := costEpoch, costEpoch.Add((costDays+1)*24*time.Hour)
	now := to
	q := cost.Query{From: from, To: to, Idle: true}
	if q.GroupBy, err = cost.ParseGroupBy("virtualCluster,day"); err != nil {
		b.Fatal(err)
	}
	pricing := cost.DefaultPricing()

	var fromRecords, fromRollups *cost.Report
	b.Run("records", func(b *testing.B) { // the report from every record, as before the rollups
		for b.Loop() {
			measure(b, func() error {
				nodes, err := st.Nodes(b.Context(), from, to)
				if err != nil {
					return err
				}
				fromRecords, err = cost.Aggregate(q, pricing, now, nodes, st.Usage(b.Context(), from, to))
				return err
			})
			if fromRecords.Records != int64(pods) {
				b.Fatalf("report read %d records, want %d", fromRecords.Records, pods)
			}
		}
	})
	b.Run("report", func(b *testing.B) { // what GET /sparkplane/v1/cost does
		for b.Loop() {
			measure(b, func() error {
				return st.ReadMetering(b.Context(), func(src cost.Source) error {
					fromRollups, err = cost.Build(q, pricing, now, src)
					return err
				})
			})
			b.ReportMetric(float64(len(fromRollups.Rows)), "rows")
			b.ReportMetric(float64(fromRollups.Records), "rows-read")
		}
	})
	if fromRecords != nil && fromRollups != nil {
		if err := sameReport(fromRollups, fromRecords); err != nil {
			b.Fatalf("the report from the rollups differs from the one from the records: %v", err)
		}
	}
}

// sameReport checks that two reports have the same rows (keys and record
// counts) and costs to the cent.
func sameReport(got, want *cost.Report) error {
	if len(got.Rows) != len(want.Rows) {
		return fmt.Errorf("%d rows, want %d", len(got.Rows), len(want.Rows))
	}
	cents := func(v float64) float64 { return math.Round(v * 100) }
	for i, w := range want.Rows {
		g := got.Rows[i]
		if !slices.Equal(g.Key, w.Key) || g.Records != w.Records || cents(g.Cost) != cents(w.Cost) {
			return fmt.Errorf("row %v: %d records, $%.6f; want %v: %d, $%.6f", g.Key, g.Records, g.Cost, w.Key, w.Records, w.Cost)
		}
	}
	if cents(got.Total.Cost) != cents(want.Total.Cost) || cents(got.Idle.Cost) != cents(want.Idle.Cost) {
		return fmt.Errorf("total $%.6f, idle $%.6f; want $%.6f, $%.6f", got.Total.Cost, got.Idle.Cost, want.Total.Cost, want.Idle.Cost)
	}
	return nil
}

// measure runs fn once and reports its wall time, the bytes it allocated
// and the peak heap in use while it ran (sampled every 10 ms).
func measure(b *testing.B, fn func() error) {
	b.Helper()
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var peak atomic.Uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(10 * time.Millisecond)
		defer t.Stop()
		for {
			var m runtime.MemStats
			runtime.ReadMemStats(&m)
			if m.HeapInuse > peak.Load() {
				peak.Store(m.HeapInuse)
			}
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	start := time.Now()
	err := fn()
	elapsed := time.Since(start)
	close(done)
	wg.Wait()
	if err != nil {
		b.Fatal(err)
	}
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(elapsed.Seconds(), "s")
	b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MB-alloc")
	b.ReportMetric(float64(peak.Load())/(1<<20), "MB-peak-heap")
}

// fillCost creates the virtual clusters and nodes through the store, then
// the runs and pod records with INSERT … SELECT over a recursive counter,
// in transactions of 1,000,000 rows, through a connection of its own.
func fillCost(ctx context.Context, st store.Store, path string, pods int) error {
	db, err := sql.Open("sqlite", "file:"+path+"?_pragma=busy_timeout(10000)&_pragma=synchronous(OFF)")
	if err != nil {
		return err
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	if _, err := db.ExecContext(ctx, `CREATE TEMP TABLE bench_vcs (n INTEGER PRIMARY KEY, id TEXT NOT NULL)`); err != nil {
		return err
	}
	if err := costClustersAndNodes(ctx, st, func(n int, id string) error {
		_, err := db.ExecContext(ctx, `INSERT INTO bench_vcs VALUES (?, ?)`, n, id)
		return err
	}); err != nil {
		return err
	}
	spacing := int64(costDays*24*time.Hour/time.Millisecond) / costRuns // between run creations
	epoch := costEpoch.UnixMilli()
	if err := costBatches(ctx, db, costRuns, func(tx *sql.Tx, lo, hi int) error {
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE c(i) AS (SELECT ? UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?)
			INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc, tags)
			SELECT printf('run%07d', i), (SELECT id FROM bench_vcs WHERE n = i % ?), 'etl', 'COMPLETED', ? + i * ?, '{}',
				CASE i % 3 WHEN 0 THEN '{"team":"data"}' WHEN 1 THEN '{"team":"ml"}' ELSE '{}' END
			FROM c`, lo, hi, costClusters, epoch, spacing)
		return err
	}); err != nil {
		return fmt.Errorf("job runs: %w", err)
	}
	perRun := pods / costRuns
	return costBatches(ctx, db, pods, func(tx *sql.Tx, lo, hi int) error {
		_, err := tx.ExecContext(ctx, `WITH RECURSIVE c(i) AS (SELECT ?1 UNION ALL SELECT i + 1 FROM c WHERE i + 1 < ?2),
			p AS (SELECT i, MIN(i / ?3, ?4) AS run, i - MIN(i / ?3, ?4) * ?3 AS k FROM c)
			INSERT INTO pod_usage (job_run_id, virtual_cluster_id, attempt, pod, pod_uid, component, namespace, node,
				instance_type, capacity_type, zone, cpu_request, memory_request, cpu_limit, memory_limit, start_at, end_at)
			SELECT printf('run%07d', run), (SELECT id FROM bench_vcs WHERE n = run % ?5), 1,
				CASE k WHEN 0 THEN 'runner' WHEN 1 THEN 'driver' ELSE 'exec-' || k END, '',
				CASE k WHEN 0 THEN 'job.submitter' WHEN 1 THEN 'driver' ELSE 'executor' END,
				'ns', printf('ip-10-0-%d-%d', (i % ?6) / 250, (i % ?6) % 250),
				CASE (i % ?6) % 2 WHEN 0 THEN 'm5.4xlarge' ELSE 'r5.4xlarge' END,
				CASE (i % ?6) % 3 WHEN 0 THEN 'spot' ELSE 'on-demand' END, 'us-east-1a',
				CASE k WHEN 0 THEN 0.5 ELSE 4 END, CASE k WHEN 0 THEN 536870912 ELSE 17179869184 END,
				CASE k WHEN 0 THEN 0.5 ELSE 4 END, CASE k WHEN 0 THEN 536870912 ELSE 17179869184 END,
				?7 + run * ?8 + k * 1000, ?7 + run * ?8 + k * 1000 + 300000 + (i * 7919) % 1800000
			FROM p`, lo, hi, perRun, costRuns-1, costClusters, costNodes, epoch, spacing)
		return err
	})
}

// costClustersAndNodes creates the virtual clusters (telling each to add)
// and the nodes through the store.
func costClustersAndNodes(ctx context.Context, st store.Store, add func(n int, id string) error) error {
	for n := range costClusters {
		vc := &emr.VirtualCluster{ID: emr.NewResourceID(), Name: fmt.Sprintf("vc-%02d", n), State: emr.VirtualClusterRunning,
			ContainerProvider: emr.ContainerProvider{Type: emr.ContainerProviderEKS, ID: "eks",
				Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: fmt.Sprintf("ns-%02d", n)}}},
			CreatedAt: costEpoch, Tags: map[string]string{"org": "analytics"}}
		if _, err := st.CreateVirtualCluster(ctx, vc, store.Idempotency{}); err != nil {
			return err
		}
		if err := add(n, vc.ID); err != nil {
			return err
		}
	}
	for n := range costNodes {
		typ := "m5.4xlarge"
		if n%2 == 1 {
			typ = "r5.4xlarge"
		}
		ct := cost.OnDemand
		if n%3 == 0 {
			ct = cost.Spot
		}
		if err := st.RecordNode(ctx, cost.Node{Name: fmt.Sprintf("ip-10-0-%d-%d", n/250, n%250), InstanceType: typ,
			CapacityType: ct, Zone: "us-east-1a", CPU: 15.89, Memory: 61 << 30, Start: costEpoch}); err != nil {
			return err
		}
	}
	return nil
}

// costBatches calls insert for [lo, hi) ranges of n rows, one transaction each.
func costBatches(ctx context.Context, db *sql.DB, n int, insert func(tx *sql.Tx, lo, hi int) error) error {
	const batch = 1_000_000
	for lo := 0; lo < n; lo += batch {
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		if err := insert(tx, lo, min(lo+batch, n)); err != nil {
			tx.Rollback()
			return err
		}
		if err := tx.Commit(); err != nil {
			return err
		}
	}
	return nil
}
