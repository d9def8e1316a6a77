package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"iter"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Metering lives in the pod_usage and nodes tables, and the daily rollups
// (rollup.go).

var sqlRecordUsage = `INSERT INTO pod_usage (job_run_id, virtual_cluster_id, attempt, pod, pod_uid, component,
	namespace, node, instance_type, capacity_type, zone, cpu_request, memory_request, cpu_limit, memory_limit,
	cpu_used, memory_used, start_at, end_at)
	VALUES (` + marks(19) + `)
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
		start_at = CASE WHEN excluded.start_at < pod_usage.start_at THEN excluded.start_at ELSE pod_usage.start_at END,
		end_at = COALESCE(excluded.end_at, pod_usage.end_at)`

const sqlRecordNode = `INSERT INTO nodes (name, instance_type, capacity_type, zone, cpu, memory, first_seen, last_seen)
	VALUES (?, ?, ?, ?, ?, ?, ?, ?)
	ON CONFLICT (name) DO UPDATE SET
		instance_type = CASE WHEN excluded.instance_type <> '' THEN excluded.instance_type ELSE nodes.instance_type END,
		capacity_type = CASE WHEN excluded.capacity_type <> '' THEN excluded.capacity_type ELSE nodes.capacity_type END,
		zone = CASE WHEN excluded.zone <> '' THEN excluded.zone ELSE nodes.zone END,
		cpu = CASE WHEN excluded.cpu > 0 THEN excluded.cpu ELSE nodes.cpu END,
		memory = CASE WHEN excluded.memory > 0 THEN excluded.memory ELSE nodes.memory END,
		first_seen = CASE WHEN excluded.first_seen < nodes.first_seen THEN excluded.first_seen ELSE nodes.first_seen END,
		last_seen = CASE
			WHEN nodes.last_seen IS NULL THEN excluded.last_seen
			WHEN excluded.last_seen IS NULL THEN CASE WHEN excluded.first_seen > nodes.last_seen THEN NULL ELSE nodes.last_seen END
			WHEN excluded.last_seen > nodes.last_seen THEN excluded.last_seen ELSE nodes.last_seen END`

// The records overlapping [from, to): ended after from, or running; each
// half of the UNION has an index of its own.
const usageColumns = usageFields + ` FROM pod_usage u ` + usageJoins

const usageFields = recordColumns + `, COALESCE(r.tags, '{}'), COALESCE(v.tags, '{}')`

const usageJoins = `LEFT JOIN job_runs r ON r.id = u.job_run_id LEFT JOIN virtual_clusters v ON v.id = u.virtual_cluster_id`

const sqlUsage = `SELECT ` + usageColumns + ` WHERE u.end_at > ? AND u.start_at < ?
	UNION ALL SELECT ` + usageColumns + ` WHERE u.end_at IS NULL AND u.start_at < ?`

const sqlNodes = `SELECT name, instance_type, capacity_type, zone, cpu, memory, first_seen, last_seen FROM nodes
	WHERE first_seen < ? AND (last_seen IS NULL OR last_seen > ?) ORDER BY name`

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
	err := db.tx(ctx, func(tx conn) error {
		if err := tx.lock(ctx, runLockKey(u.JobRunID)); err != nil {
			return err
		}
		old, oldSet, found, err := readRecord(ctx, tx, u.JobRunID, u.Attempt, u.Pod)
		if err != nil {
			return err
		}
		if _, err := tx.exec(ctx, sqlRecordUsage, u.JobRunID, u.VirtualClusterID, u.Attempt, u.Pod, u.PodUID,
			string(u.Component), u.Namespace, u.Node, u.InstanceType, string(u.CapacityType), u.Zone,
			u.Request.CPU, u.Request.Memory, u.Limit.CPU, u.Limit.Memory, cpuUsed, memUsed,
			u.Start.UnixMilli(), nullMillis(u.End)); err != nil {
			return err
		}
		cur, _, _, err := readRecord(ctx, tx, u.JobRunID, u.Attempt, u.Pod)
		if err != nil {
			return err
		}
		var d rollupDeltas
		if found && oldSet.Valid {
			d.Add(&old, oldSet.Int64, -1)
		}
		var set sql.NullInt64
		if !cur.End.IsZero() {
			tags, err := runTags(ctx, tx, u.JobRunID)
			if err != nil {
				return err
			}
			if set.Int64, err = tagSetID(ctx, tx, tags); err != nil {
				return err
			}
			set.Valid = true
			d.Add(&cur, set.Int64, 1)
		}
		if set != oldSet {
			if _, err := tx.exec(ctx, `UPDATE pod_usage SET rollup_tag_set = ? WHERE job_run_id = ? AND attempt = ? AND pod = ?`,
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
	_, err := db.writer().exec(ctx, sqlRecordNode, n.Name, n.InstanceType, string(n.CapacityType), n.Zone,
		n.CPU, n.Memory, n.Start.UnixMilli(), nullMillis(n.End))
	if err != nil {
		return fmt.Errorf("record node %q: %w", n.Name, err)
	}
	return nil
}

// Usage implements store.Metering.
func (db *DB) Usage(ctx context.Context, from, to time.Time) iter.Seq2[cost.Usage, error] {
	return usageRows(ctx, db.reader(), sqlUsage, from.UnixMilli(), to.UnixMilli(), to.UnixMilli())
}

// usageRows streams the records a query of usageColumns selects.
func usageRows(ctx context.Context, q conn, query string, args ...any) iter.Seq2[cost.Usage, error] {
	var tags store.TagCache
	return stream(ctx, q, "usage", func(rows *sql.Rows) (cost.Usage, error) {
		var runTags, vcTags string
		u, err := scanRecord(rows, new(sql.NullInt64), &runTags, &vcTags)
		if err == nil {
			u.RunTags, err = tags.Decode(runTags)
		}
		if err == nil {
			u.VirtualClusterTags, err = tags.Decode(vcTags)
		}
		return u, err
	}, query, args...)
}

// Nodes implements store.Metering.
func (db *DB) Nodes(ctx context.Context, from, to time.Time) ([]cost.Node, error) {
	return readNodes(ctx, db.reader(), from, to)
}

func readNodes(ctx context.Context, q conn, from, to time.Time) ([]cost.Node, error) {
	nodes, err := collect(func(rows *sql.Rows) (n cost.Node, err error) {
		var (
			capacity string
			first    int64
			last     sql.NullInt64
		)
		err = rows.Scan(&n.Name, &n.InstanceType, &capacity, &n.Zone, &n.CPU, &n.Memory, &first, &last)
		n.CapacityType = cost.CapacityType(capacity)
		n.Start = time.UnixMilli(first).UTC()
		if last.Valid {
			n.End = time.UnixMilli(last.Int64).UTC()
		}
		return n, err
	})(q.query(ctx, sqlNodes, to.UnixMilli(), from.UnixMilli()))
	return nodes, wrap(err, "read nodes")
}

// nullMillis is t in unix milliseconds, NULL when t is zero.
func nullMillis(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMilli()
}
