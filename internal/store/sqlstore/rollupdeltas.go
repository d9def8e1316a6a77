package sqlstore

import (
	"cmp"
	"crypto/sha256"
	"encoding/hex"
	"maps"
	"slices"
	"strings"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/store"
)

// The store keeps daily rollups of the finished usage records (see
// cost.DailySums) in two tables written in the same transaction as the
// records: usage_daily, by cost.DailyKey and the tag set of the record's
// job run (an id into tag_sets), and node_daily, by cost.NodeDailyKey.
// Each pod_usage row says under which tag set it is counted
// (rollup_tag_set; NULL while it is running or not yet rolled up), so that
// a change takes away exactly what was added.

// rollupSumColumns name the sum columns of usage_daily, in the order of
// cost.DailySums.Fields.
var rollupSumColumns = []string{"pods", "pods_started", "above_request", "measured",
	"cpu_seconds", "gib_seconds", "request_cpu_seconds", "request_gib_seconds",
	"measured_cpu_seconds", "measured_gib_seconds", "measured_request_cpu_seconds", "measured_request_gib_seconds",
	"used_cpu_seconds", "used_gib_seconds"}

// rollupKeyColumns name the key columns of usage_daily, in the order of
// rollupKey.Values.
var rollupKeyColumns = []string{"day", "virtual_cluster_id", "namespace", "component", "instance_type",
	"capacity_type", "zone", "tag_set"}

// nodeRollupColumns name the columns of node_daily, in the order of
// nodeDelta.Values.
var nodeRollupColumns = []string{"day", "node", "instance_type", "capacity_type", "cpu_seconds", "gib_seconds"}

// rollupKey is a usage_daily key.
type rollupKey struct {
	cost.DailyKey
	tagSet int64
}

// Values are the key's column values, in the order of rollupKeyColumns.
func (k *rollupKey) Values() []any {
	return []any{k.Day, k.VirtualClusterID, k.Namespace, string(k.Component), k.InstanceType,
		string(k.CapacityType), k.Zone, k.tagSet}
}

// usageDelta is a change to one usage_daily row.
type usageDelta struct {
	Key  rollupKey
	Sums cost.DailySums
}

// nodeDelta is a change to one node_daily row.
type nodeDelta struct {
	Key                    cost.NodeDailyKey
	CPUSeconds, GiBSeconds float64
}

// Values are the row's column values, in the order of nodeRollupColumns.
func (d *nodeDelta) Values() []any {
	return []any{d.Key.Day, d.Key.Node, d.Key.InstanceType, string(d.Key.CapacityType), d.CPUSeconds, d.GiBSeconds}
}

// rollupDeltas collects what one transaction adds to and takes from the
// rollups, so that it writes each row once, in one order (the same in every
// transaction, so concurrent ones cannot deadlock on PostgreSQL).
type rollupDeltas struct {
	usage map[rollupKey]*cost.DailySums
	nodes map[cost.NodeDailyKey]*nodeDelta
}

// Add adds (sign 1) or takes away (sign -1) what the finished record u
// counts for under tag set tagSet.
func (d *rollupDeltas) Add(u *cost.Usage, tagSet int64, sign int64) {
	if d.usage == nil {
		d.usage, d.nodes = map[rollupKey]*cost.DailySums{}, map[cost.NodeDailyKey]*nodeDelta{}
	}
	for _, sh := range u.DayShares() {
		k := rollupKey{DailyKey: u.Key(sh.Day), tagSet: tagSet}
		s := d.usage[k]
		if s == nil {
			s = new(cost.DailySums)
			d.usage[k] = s
		}
		s.Add(&sh.Sums, sign)
		if !u.ChargesNode() {
			continue
		}
		nk := cost.NodeDailyKey{Day: sh.Day, Node: u.Node, InstanceType: u.InstanceType, CapacityType: u.CapacityType}
		n := d.nodes[nk]
		if n == nil {
			n = &nodeDelta{Key: nk}
			d.nodes[nk] = n
		}
		n.CPUSeconds += float64(sign) * sh.Sums.CPUSeconds
		n.GiBSeconds += float64(sign) * sh.Sums.GiBSeconds
	}
}

// Usage are the usage_daily changes that change something, in key order.
func (d *rollupDeltas) Usage() []usageDelta {
	var out []usageDelta
	for _, k := range slices.SortedFunc(maps.Keys(d.usage), compareRollupKeys) {
		if s := d.usage[k]; !s.IsZero() {
			out = append(out, usageDelta{Key: k, Sums: *s})
		}
	}
	return out
}

// Nodes are the node_daily changes that change something, in key order.
func (d *rollupDeltas) Nodes() []nodeDelta {
	var out []nodeDelta
	for _, k := range slices.SortedFunc(maps.Keys(d.nodes), compareNodeKeys) {
		if n := d.nodes[k]; n.CPUSeconds != 0 || n.GiBSeconds != 0 {
			out = append(out, *n)
		}
	}
	return out
}

func compareRollupKeys(a, b rollupKey) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), strings.Compare(a.VirtualClusterID, b.VirtualClusterID),
		strings.Compare(a.Namespace, b.Namespace), strings.Compare(string(a.Component), string(b.Component)),
		strings.Compare(a.InstanceType, b.InstanceType), strings.Compare(string(a.CapacityType), string(b.CapacityType)),
		strings.Compare(a.Zone, b.Zone), cmp.Compare(a.tagSet, b.tagSet))
}

func compareNodeKeys(a, b cost.NodeDailyKey) int {
	return cmp.Or(cmp.Compare(a.Day, b.Day), strings.Compare(a.Node, b.Node),
		strings.Compare(a.InstanceType, b.InstanceType), strings.Compare(string(a.CapacityType), string(b.CapacityType)))
}

// tagSet is a job run's tags as the rollups key them: the canonical tags
// column (EncodeTags) and its digest, which tag_sets is unique on.
func tagSet(tagsColumn string) (enc, digest string, err error) {
	tags, err := store.DecodeTags(tagsColumn)
	if err != nil {
		return "", "", err
	}
	enc = store.EncodeTags(tags)
	sum := sha256.Sum256([]byte(enc))
	return enc, hex.EncodeToString(sum[:]), nil
}

// upsertSet is the SET list of an upsert that adds the inserted sums to
// those of the row in table.
func upsertSet(table string, columns []string) string {
	set := make([]string, len(columns))
	for i, c := range columns {
		set[i] = c + " = " + table + "." + c + " + excluded." + c
	}
	return strings.Join(set, ", ")
}
