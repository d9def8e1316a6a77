package storetest

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var rollupTests = []subtest{
	{"EqualRecords", testRollupsEqualRecords},
}

// rollupDay0 is the midnight the rollup fixtures start at.
var rollupDay0 = time.Date(2026, 4, 1, 0, 0, 0, 0, time.UTC)

// Reports built from the daily rollups (ReadMetering and cost.Build) equal,
// to the cent and beyond, those built from the records alone (Usage and
// cost.Aggregate), for random records written when they start and again
// when they end (some re-written later with other values, some still
// running, many across midnight), with runs and virtual clusters retagged
// between the writes, over windows that start and end at midnight or not.
func testRollupsEqualRecords(t *testing.T, s store.Store) {
	WriteRollupFixture(t, s)
	CheckRollupsEqualRecords(t, s)
}

// WriteRollupFixture writes testRollupsEqualRecords' records, nodes, runs
// and tag changes to s.
func WriteRollupFixture(t *testing.T, s store.Store) {
	r := rand.New(rand.NewPCG(5, 17))
	ctx := t.Context()
	var gen emr.JobRunIDs
	var runs []*emr.JobRun
	for i := range 2 {
		vc := NewVirtualCluster("eks-1", fmt.Sprintf("ns-%d-%s", i, emr.NewResourceID()), Epoch)
		if i == 1 {
			vc.Tags = nil
		}
		MustCreateVirtualCluster(t, s, vc)
		for j := range 3 {
			run := NewJobRun(&gen, vc.ID, "rolled", Epoch)
			run.Tags = []map[string]string{nil, {"team": "ml"}, {"team": "data", "env": "prod"}}[j]
			runs = append(runs, MustCreateJobRun(t, s, run))
		}
	}
	nodes := []cost.Node{
		{Name: "n1", InstanceType: "m5.2xlarge", CapacityType: cost.OnDemand, Zone: "a", CPU: 8, Memory: 32 << 30, Start: rollupDay0.Add(-time.Hour)},
		{Name: "n2", InstanceType: "r5.2xlarge", CapacityType: cost.Spot, Zone: "b", CPU: 8, Memory: 64 << 30, Start: rollupDay0, End: rollupDay0.Add(50 * time.Hour)},
		{Name: "n3", InstanceType: "x9.unknown", CapacityType: cost.OnDemand, Zone: "a", CPU: 16, Memory: 64 << 30, Start: rollupDay0.Add(5 * time.Hour)},
		{Name: "fargate-ip-1", CapacityType: cost.Fargate, Start: rollupDay0},
	}
	for _, n := range nodes {
		MustRecordNode(t, s, n)
	}
	comps := []cost.Component{cost.ComponentSubmitter, cost.ComponentDriver, cost.ComponentExecutor}
	var ended []cost.Usage
	for i := range 120 {
		run := runs[r.IntN(len(runs))]
		n := nodes[r.IntN(len(nodes))]
		u := cost.Usage{JobRunID: run.ID, VirtualClusterID: run.VirtualClusterID, Attempt: 1 + i%2, Pod: fmt.Sprintf("pod-%03d", i),
			Component: comps[r.IntN(len(comps))], Namespace: "spark",
			Request: cost.Resources{CPU: float64(1+r.IntN(8)) / 2, Memory: int64(1+r.IntN(16)) << 28},
			Start:   rollupDay0.Add(time.Duration(r.Int64N(int64(72 * time.Hour)))).Truncate(time.Millisecond)}
		MustRecordUsage(t, s, u) // started, not yet on a node
		if r.IntN(6) == 0 {
			continue // still running
		}
		u.Node, u.InstanceType, u.CapacityType, u.Zone = n.Name, n.InstanceType, n.CapacityType, n.Zone
		if r.IntN(3) == 0 {
			u.Used = &cost.Resources{CPU: r.Float64() * 5, Memory: r.Int64N(6 << 30)}
		}
		u.End = u.Start.Add(time.Duration(r.Int64N(int64(30 * time.Hour)))).Truncate(time.Millisecond)
		MustRecordUsage(t, s, u)
		ended = append(ended, u)
		switch r.IntN(12) {
		case 0: // a run retagged, or untagged
			ref := emr.ResourceRef{Kind: emr.KindJobRun, ID: run.ID, VirtualClusterID: run.VirtualClusterID}
			must(t, s.TagResource(ctx, ref, map[string]string{"team": fmt.Sprintf("t%d", r.IntN(3))}))
		case 1:
			ref := emr.ResourceRef{Kind: emr.KindJobRun, ID: run.ID, VirtualClusterID: run.VirtualClusterID}
			must(t, s.UntagResource(ctx, ref, []string{"team"}))
		case 2: // its virtual cluster
			ref := emr.ResourceRef{Kind: emr.KindVirtualCluster, ID: run.VirtualClusterID, VirtualClusterID: run.VirtualClusterID}
			must(t, s.TagResource(ctx, ref, map[string]string{"team": "vc", "org": fmt.Sprint(r.IntN(2))}))
		case 3: // an ended record written again, with other values
			v := ended[r.IntN(len(ended))]
			v.Request.CPU += 1
			v.End = v.End.Add(time.Duration(r.Int64N(int64(10 * time.Hour)))).Truncate(time.Millisecond)
			MustRecordUsage(t, s, v)
		}
	}
	MustRecordUsage(t, s, ended[0]) // the same record again: no change
}

// CheckRollupsEqualRecords checks that reports over the rollup fixture
// built from the rollups equal those built from its records alone.
func CheckRollupsEqualRecords(t *testing.T, s store.Store) {
	ctx := t.Context()
	p := cost.DefaultPricing()
	p.Uplift = cost.Uplift{Enabled: true, PerVCPUHour: 0.01012, PerGBHour: 0.00111125}
	now := rollupDay0.Add(80 * time.Hour)
	for i, g := range []string{"virtualCluster,day", "", "tag:team", "tag:org,component,day", "capacityType,instanceType,zone",
		"namespace,day", "jobRun", "node,day"} {
		for _, w := range [][2]time.Duration{{0, 48 * time.Hour}, {-24 * time.Hour, 96 * time.Hour},
			{5 * time.Hour, 70 * time.Hour}, {30 * time.Hour, 79 * time.Hour}, {25 * time.Hour, 26 * time.Hour}} {
			dims, err := cost.ParseGroupBy(g)
			must(t, err)
			q := cost.Query{From: rollupDay0.Add(w[0]), To: rollupDay0.Add(w[1]), GroupBy: dims, Idle: true}
			if i%3 == 1 {
				q.Filters = []cost.Filter{{Dimension: cost.Dimension{Kind: cost.DimTag, Tag: "team"}, Values: []string{"ml", "t1", cost.UnallocatedValue}}}
			}
			want := recordsReport(t, s, q, p, now)
			var got *cost.Report
			if err := s.ReadMetering(ctx, func(src cost.Source) error {
				got, err = cost.Build(q, p, now, src)
				return err
			}); err != nil {
				t.Fatalf("ReadMetering() error = %v", err)
			}
			if d := compareReports(got, want); d != "" {
				t.Errorf("groupBy %q, window %s to %s: rollups differ from records: %s", g, q.From, q.To, d)
			}
		}
	}
}

// recordsReport is the report of q from the records alone.
func recordsReport(t *testing.T, s store.Store, q cost.Query, p *cost.Pricing, now time.Time) *cost.Report {
	t.Helper()
	nodes, err := s.Nodes(t.Context(), q.From, q.To)
	must(t, err)
	rep, err := cost.Aggregate(q, p, now, nodes, s.Usage(t.Context(), q.From, q.To))
	must(t, err)
	return rep
}

// compareReports says how two reports differ ("" if not): the same rows,
// keys, record counts and flags, every amount within 1e-9 (relative) and
// equal to the cent.
func compareReports(got, want *cost.Report) string {
	if len(got.Rows) != len(want.Rows) {
		return fmt.Sprintf("%d rows, want %d", len(got.Rows), len(want.Rows))
	}
	for i := range want.Rows {
		if d := compareRows(&got.Rows[i], &want.Rows[i]); d != "" {
			return fmt.Sprintf("row %v: %s", want.Rows[i].Key, d)
		}
	}
	for _, p := range [][2]*cost.Row{{&got.Allocated, &want.Allocated}, {&got.Idle, &want.Idle}, {&got.Total, &want.Total}} {
		if d := compareRows(p[0], p[1]); d != "" {
			return "sums: " + d
		}
	}
	return ""
}

func compareRows(g, w *cost.Row) string {
	if !slices.Equal(g.Key, w.Key) || g.Idle != w.Idle || g.Records != w.Records || g.Flags != w.Flags {
		return fmt.Sprintf("key %v idle %v records %d flags %v, want %v %v %d %v", g.Key, g.Idle, g.Records, g.Flags,
			w.Key, w.Idle, w.Records, w.Flags)
	}
	cents := func(v float64) float64 { return math.Round(v * 100) }
	amounts := [][3]any{{"cost", g.Cost, w.Cost}, {"cpu cost", g.CPUCost, w.CPUCost}, {"memory cost", g.MemoryCost, w.MemoryCost},
		{"uplift", g.UpliftCost, w.UpliftCost}, {"core-hours", g.CPUCoreHours, w.CPUCoreHours}, {"GiB-hours", g.MemoryGiBHours, w.MemoryGiBHours}}
	for i, v := range amounts {
		a, b := v[1].(float64), v[2].(float64)
		if math.Abs(a-b) > 1e-9*math.Max(1, math.Abs(b)) || (i < 4 && cents(a) != cents(b)) {
			return fmt.Sprintf("%s %v, want %v", v[0], a, b)
		}
	}
	for _, e := range [][3]any{{"cpu efficiency", g.CPUEfficiency, w.CPUEfficiency},
		{"memory efficiency", g.MemoryEfficiency, w.MemoryEfficiency}, {"efficiency", g.Efficiency, w.Efficiency}} {
		a, b := e[1].(*float64), e[2].(*float64)
		if (a == nil) != (b == nil) || (a != nil && math.Abs(*a-*b) > 1e-9) {
			return fmt.Sprintf("%s %v, want %v", e[0], a, b)
		}
	}
	return ""
}
