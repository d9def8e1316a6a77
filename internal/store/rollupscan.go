package store

import (
	"strings"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// Rows is what both stores' query results offer (database/sql and pgx);
// the caller closes them.
type Rows interface {
	Next() bool
	Scan(dest ...any) error
	Err() error
}

// SQLDaily reads the usage rollups of a day range [from, to), with the
// tags of the run's tag set and of its virtual cluster; from and to are
// the placeholders of the store's dialect ("?", "$1"...).
func SQLDaily(from, to string) string {
	return `SELECT d.day, d.virtual_cluster_id, d.namespace, d.component, d.instance_type, d.capacity_type, d.zone,
	COALESCE(t.tags, '{}'), COALESCE(v.tags, '{}'), d.` + strings.Join(RollupSumColumns, ", d.") + `
	FROM usage_daily d LEFT JOIN tag_sets t ON t.id = d.tag_set LEFT JOIN virtual_clusters v ON v.id = d.virtual_cluster_id
	WHERE d.day >= ` + from + ` AND d.day < ` + to + ` AND d.pods > 0`
}

// SQLNodeDaily reads the node-day rollups of a day range [from, to).
func SQLNodeDaily(from, to string) string {
	return `SELECT day, node, instance_type, capacity_type, cpu_seconds, gib_seconds FROM node_daily
	WHERE day >= ` + from + ` AND day < ` + to
}

// YieldDaily passes the rows of SQLDaily to yield, then their error.
func YieldDaily(rows Rows, yield func(cost.DailyUsage, error) bool) {
	var tags TagCache
	for rows.Next() {
		var (
			d                   cost.DailyUsage
			component, capacity string
			runTags, vcTags     string
		)
		err := rows.Scan(append([]any{&d.Day, &d.VirtualClusterID, &d.Namespace, &component, &d.InstanceType, &capacity,
			&d.Zone, &runTags, &vcTags}, d.Fields()...)...)
		if err == nil {
			d.RunTags, err = tags.Decode(runTags)
		}
		if err == nil {
			d.VirtualClusterTags, err = tags.Decode(vcTags)
		}
		if err != nil {
			yield(d, err)
			return
		}
		d.Component, d.CapacityType = cost.Component(component), cost.CapacityType(capacity)
		if !yield(d, nil) {
			return
		}
	}
	if err := rows.Err(); err != nil {
		yield(cost.DailyUsage{}, err)
	}
}

// YieldNodeDaily passes the rows of SQLNodeDaily to yield, then their
// error.
func YieldNodeDaily(rows Rows, yield func(cost.NodeDaily, error) bool) {
	for rows.Next() {
		var (
			n        cost.NodeDaily
			capacity string
		)
		if err := rows.Scan(&n.Day, &n.Node, &n.InstanceType, &capacity, &n.CPUSeconds, &n.GiBSeconds); err != nil {
			yield(n, err)
			return
		}
		n.CapacityType = cost.CapacityType(capacity)
		if !yield(n, nil) {
			return
		}
	}
	if err := rows.Err(); err != nil {
		yield(cost.NodeDaily{}, err)
	}
}
