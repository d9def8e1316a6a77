package cost

import (
	"fmt"
	"iter"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// rollupSource is a Source over records in memory, its rollups summed with
// DayShares as a store sums them when records are written.
type rollupSource struct {
	nodes []Node
	usage []Usage
	daily map[dailyTagKey]*DailyUsage
	node  map[NodeDailyKey]*NodeDaily
}

// dailyTagKey is a rollup key with the run's tag set, as stores keep it.
type dailyTagKey struct {
	DailyKey
	tags string
}

func newRollupSource(nodes []Node, usage []Usage) *rollupSource {
	s := &rollupSource{nodes: nodes, usage: usage, daily: map[dailyTagKey]*DailyUsage{}, node: map[NodeDailyKey]*NodeDaily{}}
	for i := range usage {
		u := &usage[i]
		for _, sh := range u.DayShares() {
			k := dailyTagKey{u.Key(sh.Day), fmt.Sprint(u.RunTags)}
			d := s.daily[k]
			if d == nil {
				d = &DailyUsage{DailyKey: k.DailyKey, RunTags: u.RunTags, VirtualClusterTags: u.VirtualClusterTags}
				s.daily[k] = d
			}
			d.Add(&sh.Sums, 1)
			if u.ChargesNode() {
				nk := NodeDailyKey{Day: sh.Day, Node: u.Node, InstanceType: u.InstanceType, CapacityType: u.CapacityType}
				n := s.node[nk]
				if n == nil {
					n = &NodeDaily{NodeDailyKey: nk}
					s.node[nk] = n
				}
				n.CPUSeconds += sh.Sums.CPUSeconds
				n.GiBSeconds += sh.Sums.GiBSeconds
			}
		}
	}
	return s
}

func (s *rollupSource) Nodes(from, to time.Time) ([]Node, error) { return s.nodes, nil }

func (s *rollupSource) Usage(from, to time.Time) iter.Seq2[Usage, error] {
	return s.records(func(u *Usage) bool { return u.Start.Before(to) && (u.End.IsZero() || u.End.After(from)) })
}

func (s *rollupSource) Running(to time.Time) iter.Seq2[Usage, error] {
	return s.records(func(u *Usage) bool { return u.End.IsZero() && u.Start.Before(to) })
}

func (s *rollupSource) records(keep func(*Usage) bool) iter.Seq2[Usage, error] {
	return func(yield func(Usage, error) bool) {
		for _, u := range s.usage {
			if keep(&u) && !yield(u, nil) {
				return
			}
		}
	}
}

func (s *rollupSource) Daily(fromDay, toDay int64) iter.Seq2[DailyUsage, error] {
	return func(yield func(DailyUsage, error) bool) {
		for _, d := range s.daily {
			if d.Day >= fromDay && d.Day < toDay && !yield(*d, nil) {
				return
			}
		}
	}
}

func (s *rollupSource) NodeDaily(fromDay, toDay int64) iter.Seq2[NodeDaily, error] {
	return func(yield func(NodeDaily, error) bool) {
		for _, n := range s.node {
			if n.Day >= fromDay && n.Day < toDay && !yield(*n, nil) {
				return
			}
		}
	}
}

// randomFixture makes n records of a few runs over 4 days from 2026-07-01
// on a few nodes: some cross midnight, some run on, some are measured,
// some on Fargate or on unknown instance types.
func randomFixture(r *rand.Rand, n int) ([]Node, []Usage) {
	day0 := at(0, 0)
	nodes := []Node{
		{Name: "n1", InstanceType: "m5.2xlarge", CapacityType: OnDemand, Zone: "a", CPU: 8, Memory: 32 * gib, Start: day0.Add(-time.Hour)},
		{Name: "n2", InstanceType: "m5.2xlarge", CapacityType: Spot, Zone: "b", CPU: 8, Memory: 32 * gib, Start: day0, End: day0.Add(50 * time.Hour)},
		{Name: "n3", InstanceType: "x9.huge", CapacityType: OnDemand, Zone: "a", CPU: 16, Memory: 64 * gib, Start: day0.Add(5 * time.Hour), End: day0.Add(90 * time.Hour)},
		{Name: "f1", CapacityType: Fargate, Start: day0},
	}
	teams := []map[string]string{nil, {"team": "data"}, {"team": "ml", "env": "prod"}}
	comps := []Component{ComponentSubmitter, ComponentDriver, ComponentExecutor}
	var usage []Usage
	for i := range n {
		node := nodes[r.IntN(len(nodes))]
		u := Usage{
			JobRunID: fmt.Sprintf("run%d", i%7), VirtualClusterID: fmt.Sprintf("vc%d", i%3), Attempt: 1,
			Pod: fmt.Sprintf("pod%d", i), Component: comps[r.IntN(len(comps))], Namespace: fmt.Sprintf("ns%d", i%3),
			Node: node.Name, InstanceType: node.InstanceType, CapacityType: node.CapacityType, Zone: node.Zone,
			Request:            Resources{CPU: float64(1+r.IntN(8)) / 2, Memory: int64(1+r.IntN(16)) << 28},
			RunTags:            teams[(i%7)%3],
			VirtualClusterTags: map[string]string{"org": fmt.Sprintf("o%d", i%3%2)},
			Start:              day0.Add(time.Duration(r.Int64N(int64(96 * time.Hour)))).Truncate(time.Millisecond),
		}
		if r.IntN(3) == 0 {
			u.Used = &Resources{CPU: r.Float64() * 5, Memory: r.Int64N(5 << 30)}
		}
		if r.IntN(8) != 0 { // else still running
			u.End = u.Start.Add(time.Duration(r.Int64N(int64(30 * time.Hour)))).Truncate(time.Millisecond)
		}
		usage = append(usage, u)
	}
	return nodes, usage
}

// TestBuildEqualsRecords: reports from the rollups equal those from the
// records alone, to the cent and beyond, for random records and windows
// that start and end at midnight or not.
func TestBuildEqualsRecords(t *testing.T) {
	p := mustTestPricing(t)
	p.Uplift = Uplift{Enabled: true, PerVCPUHour: 0.01012, PerGBHour: 0.00111125}
	groupings := []string{"", "virtualCluster,day", "tag:team", "day,tag:org,component", "capacityType,instanceType,zone",
		"namespace", "jobRun", "node,day"}
	r := rand.New(rand.NewPCG(5, 5))
	for seed := range 20 {
		nodes, usage := randomFixture(r, 200)
		src := newRollupSource(nodes, usage)
		now := at(0, 0).Add(100 * time.Hour)
		for _, g := range groupings {
			from := at(0, 0).Add(time.Duration(r.IntN(3)) * 24 * time.Hour)
			to := from.Add(time.Duration(1+r.IntN(4)) * 24 * time.Hour)
			if seed%2 == 1 {
				from = from.Add(time.Duration(r.Int64N(int64(20 * time.Hour)))).Truncate(time.Millisecond)
				to = to.Add(time.Duration(r.Int64N(int64(20 * time.Hour)))).Truncate(time.Millisecond)
			}
			dims, err := ParseGroupBy(g)
			if err != nil {
				t.Fatal(err)
			}
			q := Query{From: from, To: to, GroupBy: dims, Idle: true}
			if seed%3 == 0 {
				q.Filters = []Filter{{Dimension: Dimension{Kind: DimTag, Tag: "team"}, Values: []string{"data", UnallocatedValue}}}
			}
			want, err := Aggregate(q, p, now, nodes, seq(usage))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Build(q, p, now, src)
			if err != nil {
				t.Fatal(err)
			}
			if diff := CompareReports(got, want); diff != "" {
				t.Fatalf("seed %d, groupBy %q, window %s to %s: rollups differ from records: %s", seed, g, from, to, diff)
			}
		}
	}
}

// CompareReports says how two reports differ beyond rounding ("" if not):
// their rows, keys, record counts and flags must be the same and every
// amount equal to within 1e-9 (relative) and to the cent.
func CompareReports(got, want *Report) string {
	if len(got.Rows) != len(want.Rows) {
		return fmt.Sprintf("%d rows, want %d: got %v, want %v", len(got.Rows), len(want.Rows), keys(got), keys(want))
	}
	for i := range want.Rows {
		if d := compareRows(&got.Rows[i], &want.Rows[i]); d != "" {
			return fmt.Sprintf("row %v: %s", want.Rows[i].Key, d)
		}
	}
	for _, p := range [][2]*Row{{&got.Allocated, &want.Allocated}, {&got.Idle, &want.Idle}, {&got.Total, &want.Total}} {
		if d := compareRows(p[0], p[1]); d != "" {
			return "sums: " + d
		}
	}
	return ""
}

func keys(rep *Report) [][]string {
	var k [][]string
	for _, r := range rep.Rows {
		k = append(k, r.Key)
	}
	return k
}

func compareRows(g, w *Row) string {
	if !slices.Equal(g.Key, w.Key) || g.Idle != w.Idle || g.Records != w.Records || g.Flags != w.Flags {
		return fmt.Sprintf("key %v idle %v records %d flags %v, want %v %v %d %v", g.Key, g.Idle, g.Records, g.Flags, w.Key, w.Idle, w.Records, w.Flags)
	}
	for _, v := range [][3]any{
		{"cost", g.Cost, w.Cost}, {"cpu cost", g.CPUCost, w.CPUCost}, {"memory cost", g.MemoryCost, w.MemoryCost},
		{"uplift", g.UpliftCost, w.UpliftCost}, {"core-hours", g.CPUCoreHours, w.CPUCoreHours},
		{"GiB-hours", g.MemoryGiBHours, w.MemoryGiBHours},
	} {
		a, b := v[1].(float64), v[2].(float64)
		if math.Abs(a-b) > 1e-9*math.Max(1, math.Abs(b)) || (v[0] != "core-hours" && v[0] != "GiB-hours" && cents(a) != cents(b)) {
			return fmt.Sprintf("%s %v, want %v", v[0], a, b)
		}
	}
	for _, e := range [][3]any{{"cpu efficiency", g.CPUEfficiency, w.CPUEfficiency}, {"memory efficiency", g.MemoryEfficiency, w.MemoryEfficiency}, {"efficiency", g.Efficiency, w.Efficiency}} {
		a, b := e[1].(*float64), e[2].(*float64)
		if (a == nil) != (b == nil) || (a != nil && math.Abs(*a-*b) > 1e-9) {
			return fmt.Sprintf("%s %v, want %v", e[0], a, b)
		}
	}
	return ""
}
