package postgres

import (
	"context"
	"fmt"
	"iter"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Metering lives in the pod_usage and nodes tables (migration 0004), and
// the daily rollups (migration 0005, rollup.go).

const sqlRecordUsage = `INSERT INTO pod_usage (job_run_id, virtual_cluster_id, attempt, pod, pod_uid, component,
	namespace, node, instance_type, capacity_type, zone, cpu_request, memory_request, cpu_limit, memory_limit,
	cpu_used, memory_used, start_at, end_at)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
	ON CONFLICT (job_run_id, attempt, pod) DO UPDATE SET
		virtual_cluster_id = excluded.virtual_cluster_id,
		pod_uid = CASE WHEN excluded.pod_uid <> '' THEN excluded.pod_uid ELSE pod_usage.pod_uid END,
		component = excluded.component,
		namespace = CASE WHEN excluded.namespace <> '' THEN excluded.namespace ELSE pod_usage.namespace END,
		node = CASE WHEN excluded.node <> '' THEN excluded.node ELSE pod_usage.node END,
		instance_type = CASE WHEN excluded.instance_type <> '' THEN excluded.instance_type ELSE pod_usage.instance_type END,
		capacity_type = CASE WHEN excluded.capacity_type <> '' THEN excluded.capacity_type ELSE pod_usage.capacity_type END,
		zone = CASE WHEN excluded.zone <> '' THEN excluded.zone ELSE pod_usage.zone END,
		cpu_request = excluded.cpu_request, memory_request = excluded.memory_request,
		cpu_limit = excluded.cpu_limit, memory_limit = excluded.memory_limit,
		cpu_used = COALESCE(excluded.cpu_used, pod_usage.cpu_used),
		memory_used = COALESCE(excluded.memory_used, pod_usage.memory_used),
		start_at = LEAST(excluded.start_at, pod_usage.start_at),
		end_at = COALESCE(excluded.end_at, pod_usage.end_at)`

const sqlRecordNode = `INSERT INTO nodes (name, instance_type, capacity_type, zone, cpu, memory, first_seen, last_seen)
	VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
	ON CONFLICT (name) DO UPDATE SET
		instance_type = CASE WHEN excluded.instance_type <> '' THEN excluded.instance_type ELSE nodes.instance_type END,
		capacity_type = CASE WHEN excluded.capacity_type <> '' THEN excluded.capacity_type ELSE nodes.capacity_type END,
		zone = CASE WHEN excluded.zone <> '' THEN excluded.zone ELSE nodes.zone END,
		cpu = CASE WHEN excluded.cpu > 0 THEN excluded.cpu ELSE nodes.cpu END,
		memory = CASE WHEN excluded.memory > 0 THEN excluded.memory ELSE nodes.memory END,
		first_seen = LEAST(excluded.first_seen, nodes.first_seen),
		last_seen = CASE
			WHEN nodes.last_seen IS NULL THEN excluded.last_seen
			WHEN excluded.last_seen IS NULL THEN CASE WHEN excluded.first_seen > nodes.last_seen THEN NULL ELSE nodes.last_seen END
			ELSE GREATEST(excluded.last_seen, nodes.last_seen) END`

// The records overlapping [from, to): ended after from, or running; each
// half of the UNION has an index of its own.
const usageColumns = `u.job_run_id, u.virtual_cluster_id, u.attempt, u.pod, u.pod_uid, u.component, u.namespace,
	u.node, u.instance_type, u.capacity_type, u.zone, u.cpu_request, u.memory_request, u.cpu_limit, u.memory_limit,
	u.cpu_used, u.memory_used, u.start_at, u.end_at, COALESCE(r.tags, '{}'), COALESCE(v.tags, '{}')
	FROM pod_usage u LEFT JOIN job_runs r ON r.id = u.job_run_id LEFT JOIN virtual_clusters v ON v.id = u.virtual_cluster_id`

const sqlUsage = `SELECT ` + usageColumns + ` WHERE u.end_at > $1 AND u.start_at < $2
	UNION ALL SELECT ` + usageColumns + ` WHERE u.end_at IS NULL AND u.start_at < $2`

const sqlNodes = `SELECT name, instance_type, capacity_type, zone, cpu, memory, first_seen, last_seen FROM nodes
	WHERE first_seen < $1 AND (last_seen IS NULL OR last_seen > $2) ORDER BY name`

// RecordUsage implements store.Metering: the record and its daily rollups
// in one transaction (what its previous version added taken away, what it
// adds now, if it has ended, added under its job run's current tags), under
// the run's rollup lock.
func (db *DB) RecordUsage(ctx context.Context, u cost.Usage) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("record usage: %w", err)
	}
	var cpuUsed, memUsed any
	if u.Used != nil {
		cpuUsed, memUsed = u.Used.CPU, u.Used.Memory
	}
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if err := lockRun(ctx, tx, u.JobRunID); err != nil {
			return err
		}
		old, oldSet, found, err := readRecord(ctx, tx, u.JobRunID, u.Attempt, u.Pod)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, sqlRecordUsage, u.JobRunID, u.VirtualClusterID, u.Attempt, u.Pod, u.PodUID,
			string(u.Component), u.Namespace, u.Node, u.InstanceType, string(u.CapacityType), u.Zone,
			u.Request.CPU, u.Request.Memory, u.Limit.CPU, u.Limit.Memory, cpuUsed, memUsed,
			u.Start.UnixMilli(), nullMillis(u.End)); err != nil {
			return err
		}
		cur, _, _, err := readRecord(ctx, tx, u.JobRunID, u.Attempt, u.Pod)
		if err != nil {
			return err
		}
		var d store.RollupDeltas
		if found && oldSet != nil {
			d.Add(&old, *oldSet, -1)
		}
		var set *int64
		if !cur.End.IsZero() {
			tags, err := runTags(ctx, tx, u.JobRunID)
			if err != nil {
				return err
			}
			id, err := tagSetID(ctx, tx, tags)
			if err != nil {
				return err
			}
			set = &id
			d.Add(&cur, id, 1)
		}
		if (set == nil) != (oldSet == nil) || (set != nil && *set != *oldSet) {
			if _, err := tx.Exec(ctx, `UPDATE pod_usage SET rollup_tag_set = $1 WHERE job_run_id = $2 AND attempt = $3 AND pod = $4`,
				set, u.JobRunID, u.Attempt, u.Pod); err != nil {
				return err
			}
		}
		return applyDeltas(ctx, tx, &d)
	})
	if err != nil {
		return fmt.Errorf("record usage of pod %q of job run %q: %w", u.Pod, u.JobRunID, err)
	}
	return nil
}

// RecordNode implements store.Metering.
func (db *DB) RecordNode(ctx context.Context, n cost.Node) error {
	if err := n.Validate(); err != nil {
		return fmt.Errorf("record node: %w", err)
	}
	_, err := db.pool.Exec(ctx, sqlRecordNode, n.Name, n.InstanceType, string(n.CapacityType), n.Zone,
		n.CPU, n.Memory, n.Start.UnixMilli(), nullMillis(n.End))
	if err != nil {
		return fmt.Errorf("record node %q: %w", n.Name, err)
	}
	return nil
}

// Usage implements store.Metering.
func (db *DB) Usage(ctx context.Context, from, to time.Time) iter.Seq2[cost.Usage, error] {
	return usageRows(ctx, db.pool, sqlUsage, from.UnixMilli(), to.UnixMilli())
}

// usageRows streams the records a query of usageColumns selects.
func usageRows(ctx context.Context, q querier, query string, args ...any) iter.Seq2[cost.Usage, error] {
	return func(yield func(cost.Usage, error) bool) {
		rows, err := q.Query(ctx, query, args...)
		if err != nil {
			yield(cost.Usage{}, fmt.Errorf("read usage: %w", err))
			return
		}
		defer rows.Close()
		var tags store.TagCache
		for rows.Next() {
			u, err := scanUsage(rows, &tags)
			if err != nil {
				yield(cost.Usage{}, fmt.Errorf("read usage: %w", err))
				return
			}
			if !yield(u, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(cost.Usage{}, fmt.Errorf("read usage: %w", err))
		}
	}
}

func scanUsage(rows pgx.Rows, tags *store.TagCache) (cost.Usage, error) {
	var (
		u                   cost.Usage
		component, capacity string
		cpuUsed             *float64
		memUsed             *int64
		start               int64
		end                 *int64
		runTags, vcTags     string
	)
	err := rows.Scan(&u.JobRunID, &u.VirtualClusterID, &u.Attempt, &u.Pod, &u.PodUID, &component, &u.Namespace,
		&u.Node, &u.InstanceType, &capacity, &u.Zone, &u.Request.CPU, &u.Request.Memory, &u.Limit.CPU, &u.Limit.Memory,
		&cpuUsed, &memUsed, &start, &end, &runTags, &vcTags)
	if err != nil {
		return u, err
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
	if u.RunTags, err = tags.Decode(runTags); err != nil {
		return u, err
	}
	u.VirtualClusterTags, err = tags.Decode(vcTags)
	return u, err
}

// Nodes implements store.Metering.
func (db *DB) Nodes(ctx context.Context, from, to time.Time) ([]cost.Node, error) {
	return readNodes(ctx, db.pool, from, to)
}

func readNodes(ctx context.Context, q querier, from, to time.Time) ([]cost.Node, error) {
	rows, err := q.Query(ctx, sqlNodes, to.UnixMilli(), from.UnixMilli())
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	defer rows.Close()
	var nodes []cost.Node
	for rows.Next() {
		var (
			n        cost.Node
			capacity string
			first    int64
			last     *int64
		)
		if err := rows.Scan(&n.Name, &n.InstanceType, &capacity, &n.Zone, &n.CPU, &n.Memory, &first, &last); err != nil {
			return nil, fmt.Errorf("read nodes: %w", err)
		}
		n.CapacityType = cost.CapacityType(capacity)
		n.Start = time.UnixMilli(first).UTC()
		if last != nil {
			n.End = time.UnixMilli(*last).UTC()
		}
		nodes = append(nodes, n)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	return nodes, nil
}

// nullMillis is t in unix milliseconds, NULL when t is zero.
func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}
