package sqlstore

import (
	"database/sql"
	"strings"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/store"
)

// sqlDaily reads the usage rollups of a day range [from, to), with the
// tags of the run's tag set and of its virtual cluster.
var sqlDaily = `SELECT d.day, d.virtual_cluster_id, d.namespace, d.component, d.instance_type, d.capacity_type, d.zone,
	COALESCE(t.tags, '{}'), COALESCE(v.tags, '{}'), d.` + strings.Join(rollupSumColumns, ", d.") + `
	FROM usage_daily d LEFT JOIN tag_sets t ON t.id = d.tag_set LEFT JOIN virtual_clusters v ON v.id = d.virtual_cluster_id
	WHERE d.day >= ? AND d.day < ? AND d.pods > 0`

// sqlNodeDaily reads the node-day rollups of a day range [from, to).
const sqlNodeDaily = `SELECT day, node, instance_type, capacity_type, cpu_seconds, gib_seconds FROM node_daily
	WHERE day >= ? AND day < ?`

// scanDaily reads a row of sqlDaily, its tags through tags.
func scanDaily(rows *sql.Rows, tags *store.TagCache) (d cost.DailyUsage, err error) {
	var component, capacity, runTags, vcTags string
	err = rows.Scan(append([]any{&d.Day, &d.VirtualClusterID, &d.Namespace, &component, &d.InstanceType, &capacity,
		&d.Zone, &runTags, &vcTags}, d.Fields()...)...)
	if err == nil {
		d.RunTags, err = tags.Decode(runTags)
	}
	if err == nil {
		d.VirtualClusterTags, err = tags.Decode(vcTags)
	}
	d.Component, d.CapacityType = cost.Component(component), cost.CapacityType(capacity)
	return d, err
}

// scanNodeDaily reads a row of sqlNodeDaily.
func scanNodeDaily(rows *sql.Rows) (n cost.NodeDaily, err error) {
	var capacity string
	err = rows.Scan(&n.Day, &n.Node, &n.InstanceType, &capacity, &n.CPUSeconds, &n.GiBSeconds)
	n.CapacityType = cost.CapacityType(capacity)
	return n, err
}
