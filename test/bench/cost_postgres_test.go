package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/store"
)

// fillCostPostgres fills a PostgreSQL store as fillCost fills SQLite: the
// same virtual clusters, nodes, runs and pod records, with INSERT … SELECT
// over generate_series in statements of 1,000,000 rows, then ANALYZE.
func fillCostPostgres(ctx context.Context, st store.Store, url string, pods int) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE TABLE bench_vcs (n BIGINT PRIMARY KEY, id TEXT COLLATE "C" NOT NULL)`); err != nil {
		return err
	}
	if err := costClustersAndNodes(ctx, st, func(n int, id string) error {
		_, err := conn.Exec(ctx, `INSERT INTO bench_vcs VALUES ($1, $2)`, n, id)
		return err
	}); err != nil {
		return err
	}
	spacing := int64(costDays*24*time.Hour/time.Millisecond) / costRuns
	epoch := costEpoch.UnixMilli()
	const batch = 1_000_000
	for lo := 0; lo < costRuns; lo += batch {
		if _, err := conn.Exec(ctx, `INSERT INTO job_runs (id, virtual_cluster_id, name, state, created_at, doc, tags)
			SELECT 'run' || lpad(i::text, 7, '0'), v.id, 'etl', 'COMPLETED', $3::bigint + i * $4::bigint, '{}',
				CASE i % 3 WHEN 0 THEN '{"team":"data"}' WHEN 1 THEN '{"team":"ml"}' ELSE '{}' END
			FROM generate_series($1::bigint, $2::bigint - 1) i JOIN bench_vcs v ON v.n = i % $5::bigint`,
			lo, min(lo+batch, costRuns), epoch, spacing, costClusters); err != nil {
			return fmt.Errorf("job runs: %w", err)
		}
	}
	perRun := pods / costRuns
	for lo := 0; lo < pods; lo += batch {
		if _, err := conn.Exec(ctx, `INSERT INTO pod_usage (job_run_id, virtual_cluster_id, attempt, pod, pod_uid, component,
				namespace, node, instance_type, capacity_type, zone, cpu_request, memory_request, cpu_limit, memory_limit, start_at, end_at)
			SELECT 'run' || lpad(run::text, 7, '0'), v.id, 1,
				CASE k WHEN 0 THEN 'runner' WHEN 1 THEN 'driver' ELSE 'exec-' || k END, '',
				CASE k WHEN 0 THEN 'job.submitter' WHEN 1 THEN 'driver' ELSE 'executor' END,
				'ns', format('ip-10-0-%s-%s', (i % $6::bigint) / 250, (i % $6::bigint) % 250),
				CASE (i % $6::bigint) % 2 WHEN 0 THEN 'm5.4xlarge' ELSE 'r5.4xlarge' END,
				CASE (i % $6::bigint) % 3 WHEN 0 THEN 'spot' ELSE 'on-demand' END, 'us-east-1a',
				CASE k WHEN 0 THEN 0.5 ELSE 4 END, CASE k WHEN 0 THEN 536870912 ELSE 17179869184 END,
				CASE k WHEN 0 THEN 0.5 ELSE 4 END, CASE k WHEN 0 THEN 536870912 ELSE 17179869184 END,
				$7::bigint + run * $8::bigint + k * 1000, $7::bigint + run * $8::bigint + k * 1000 + 300000 + (i * 7919) % 1800000
			FROM (SELECT i, run, i - run * $3::bigint AS k
				FROM (SELECT i, LEAST(i / $3::bigint, $4::bigint) AS run FROM generate_series($1::bigint, $2::bigint - 1) i) r) p
			JOIN bench_vcs v ON v.n = run % $5::bigint`,
			lo, min(lo+batch, pods), perRun, costRuns-1, costClusters, costNodes, epoch, spacing); err != nil {
			return fmt.Errorf("pod records: %w", err)
		}
	}
	_, err = conn.Exec(ctx, `ANALYZE`)
	return err
}
