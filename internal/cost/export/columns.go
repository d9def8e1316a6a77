package export

import (
	"fmt"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// Table is a report as read back from a CSV or Parquet file: its rows
// without the totals.
type Table struct {
	GroupBy  []cost.Dimension
	Currency string
	From, To time.Time
	Rows     []cost.Row
}

// Column names after the dimension columns, in order.
const (
	colKind       = "kind"
	colRecords    = "records"
	colCPUHours   = "cpu_core_hours"
	colMemHours   = "memory_gib_hours"
	colCPUCost    = "cpu_cost"
	colMemCost    = "memory_cost"
	colUplift     = "uplift_cost"
	colTotal      = "total_cost"
	colCPUEff     = "cpu_efficiency"
	colMemEff     = "memory_efficiency"
	colEff        = "total_efficiency"
	colFlags      = "flags"
	colCurrency   = "currency"
	colFrom       = "window_start"
	colTo         = "window_end"
	kindIdle      = "idle"
	kindAllocated = "allocation"
)

var metricColumns = []string{
	colKind, colRecords, colCPUHours, colMemHours, colCPUCost, colMemCost, colUplift, colTotal,
	colCPUEff, colMemEff, colEff, colFlags, colCurrency, colFrom, colTo,
}

var dimColumns = map[cost.DimensionKind]string{
	cost.DimJobRun: "job_run_id", cost.DimVirtualCluster: "virtual_cluster_id",
	cost.DimComponent: "component", cost.DimCapacityType: "capacity_type", cost.DimDay: "day",
	cost.DimInstanceType: "instance_type", cost.DimNamespace: "namespace", cost.DimNode: "node",
	cost.DimZone: "zone", cost.DimPod: "pod",
}

// ColumnName is a dimension's column: snake_case, tag:<key> as tag_<key>
// with characters other than letters, digits and _ replaced by _.
func ColumnName(d cost.Dimension) string {
	if d.Kind == cost.DimTag {
		return "tag_" + strings.Map(func(r rune) rune {
			if r == '_' || ('a' <= r && r <= 'z') || ('A' <= r && r <= 'Z') || ('0' <= r && r <= '9') {
				return r
			}
			return '_'
		}, d.Tag)
	}
	return dimColumns[d.Kind]
}

// dimensionOf reads a dimension column name back (tag_<key> as tag:<key>).
func dimensionOf(col string) (cost.Dimension, error) {
	if key, ok := strings.CutPrefix(col, "tag_"); ok && key != "" {
		return cost.Dimension{Kind: cost.DimTag, Tag: key}, nil
	}
	for k, c := range dimColumns {
		if c == col {
			return cost.Dimension{Kind: k}, nil
		}
	}
	return cost.Dimension{}, fmt.Errorf("unknown column %q", col)
}

func kindOf(r *cost.Row) string {
	if r.Idle {
		return kindIdle
	}
	return kindAllocated
}

func parseKind(s string) (idle bool, err error) {
	switch s {
	case kindIdle:
		return true, nil
	case kindAllocated:
		return false, nil
	}
	return false, fmt.Errorf("unknown kind %q", s)
}
