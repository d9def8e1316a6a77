package cost

import (
	"errors"
	"iter"
	"slices"
	"strings"
	"testing"
	"time"
)

// The fixture, over 2026-07-01 00:00 to 2026-07-03 00:00 UTC, priced with
// testPricingYAML (m5.2xlarge 0.032/vCPU-h + 0.004/GiB-h on-demand,
// 0.0128 + 0.0016 spot; unknown 0.04 + 0.005; Fargate 0.04048 + 0.004445).
//
// vc-a (team=data)
//
//	run1 (no tags)            10:00-12:00 on 07-01
//	  submitter  n1  0.5 vCPU  1 GiB   0.5×2×0.032 = 0.032   1×2×0.004 = 0.008    0.04
//	  driver     n1  1         4        1×2×0.032 = 0.064    4×2×0.004 = 0.032    0.096
//	  executor   n1  4        16        4×2×0.032 = 0.256   16×2×0.004 = 0.128    0.384
//	  executor   n2  4        16 spot   4×2×0.0128 = 0.1024 16×2×0.0016 = 0.0512  0.1536
//	                                                                     run1:  0.6736
//	run2 (team=analytics)     07-01 22:00 to 07-02 02:00, 2 h each day
//	  driver     n3 (x9.huge, unknown)  1 vCPU 2 GiB: 1×4×0.04 = 0.16  2×4×0.005 = 0.04  0.20 (0.10 a day)
//
// vc-b (team=ml)
//
//	run3
//	  driver     n1  2 vCPU 8 GiB, 06-30 23:00 to 07-01 01:00: 1 h in the window
//	                 2×1×0.032 = 0.064   8×1×0.004 = 0.032                       0.096
//	                 used 1 vCPU, 8 GiB: efficiency cpu 0.5, memory 1.0,
//	                 total (0.5×0.064 + 1×0.032)/0.096 = 2/3
//	  executor   Fargate 1 vCPU 2 GiB → 1 vCPU 3 GiB, 07-02 08:00-08:30
//	                 1×0.5×0.04048 = 0.02024   3×0.5×0.004445 = 0.0066675       0.0269075
//	                                                                     run3:  0.1229075
//
// Allocated: 0.6736 + 0.20 + 0.1229075 = 0.9965075 → $1.00
//
// Nodes and their idle cost:
//
//	n1 m5.2xlarge on-demand, 06-30 22:00 to 07-01 13:00: 13 h in the window
//	   cost cpu 0.256×13 = 3.328, mem 0.128×13 = 1.664 (4.992)
//	   pods cpu 0.032+0.064+0.256+0.064 = 0.416, mem 0.008+0.032+0.128+0.032 = 0.2
//	   idle 2.912 + 1.464 = 4.376
//	n2 m5.2xlarge spot, 10:00-12:00: cost 0.2048 + 0.1024, pods 0.1024 + 0.0512, idle 0.1536
//	n3 x9.huge (fallback × allocatable 2 vCPU, 6 GiB = 0.08 + 0.03 an hour),
//	   07-01 20:00 to 07-02 04:00, 4 h each day:
//	   each day cost 0.32 + 0.12, pods 0.08 + 0.02, idle 0.24 + 0.10 = 0.34; 0.68 in all
//	fargate-1: Fargate, no idle
//
// Idle: 4.376 + 0.1536 + 0.68 = 5.2096 → $5.21
// Total: 6.2061075 → $6.21 = the three nodes (4.992 + 0.3072 + 0.88) + the Fargate pod.
func fixture() ([]Node, []Usage) {
	vcA, vcB := map[string]string{"team": "data"}, map[string]string{"team": "ml"}
	m5 := func(name string, ct CapacityType) Usage {
		return Usage{Node: name, InstanceType: "m5.2xlarge", CapacityType: ct, Zone: "us-east-1a", Namespace: "spark"}
	}
	run1 := func(u Usage, pod string, c Component, r Resources) Usage {
		u.JobRunID, u.VirtualClusterID, u.VirtualClusterTags = "run1", "vc-a", vcA
		u.Pod, u.Component, u.Request = pod, c, r
		u.Start, u.End = at(10, 0), at(12, 0)
		return u
	}
	usage := []Usage{
		run1(m5("n1", OnDemand), "run1-submitter", ComponentSubmitter, res(0.5, 1)),
		run1(m5("n1", OnDemand), "run1-driver", ComponentDriver, res(1, 4)),
		run1(m5("n1", OnDemand), "run1-exec-1", ComponentExecutor, res(4, 16)),
		run1(m5("n2", Spot), "run1-exec-2", ComponentExecutor, res(4, 16)),
		{JobRunID: "run2", VirtualClusterID: "vc-a", VirtualClusterTags: vcA, RunTags: map[string]string{"team": "analytics"},
			Pod: "run2-driver", Component: ComponentDriver, Node: "n3", InstanceType: "x9.huge",
			Request: res(1, 2), Start: at(22, 0), End: at(26, 0)},
		{JobRunID: "run3", VirtualClusterID: "vc-b", VirtualClusterTags: vcB, Pod: "run3-driver", Component: ComponentDriver,
			Node: "n1", InstanceType: "m5.2xlarge", CapacityType: OnDemand, Request: res(2, 8), Used: &Resources{CPU: 1, Memory: 8 * gib},
			Start: at(-1, 0), End: at(1, 0)},
		{JobRunID: "run3", VirtualClusterID: "vc-b", VirtualClusterTags: vcB, Pod: "run3-exec-1", Component: ComponentExecutor,
			Node: "fargate-1", CapacityType: Fargate, Request: res(1, 2), Start: at(32, 0), End: at(32, 30)},
	}
	nodes := []Node{
		{Name: "n1", InstanceType: "m5.2xlarge", CapacityType: OnDemand, Zone: "us-east-1a", CPU: 7.9, Memory: 30 * gib, Start: at(-2, 0), End: at(13, 0)},
		{Name: "n2", InstanceType: "m5.2xlarge", CapacityType: Spot, Zone: "us-east-1a", CPU: 7.9, Memory: 30 * gib, Start: at(10, 0), End: at(12, 0)},
		{Name: "n3", InstanceType: "x9.huge", Zone: "us-east-1b", CPU: 2, Memory: 6 * gib, Start: at(20, 0), End: at(28, 0)},
		{Name: "fargate-1", CapacityType: Fargate, CPU: 1, Memory: 3 * gib, Start: at(32, 0), End: at(32, 30)},
	}
	return nodes, usage
}

func seq(us []Usage) iter.Seq2[Usage, error] {
	return func(yield func(Usage, error) bool) {
		for _, u := range us {
			if !yield(u, nil) {
				return
			}
		}
	}
}

type wantRow struct {
	key     string // values joined with "/"; idle rows start with "idle "
	cost    float64
	records int64
}

func rowsOf(rep *Report) []wantRow {
	var got []wantRow
	for _, r := range rep.Rows {
		k := strings.Join(r.Key, "/")
		if r.Idle {
			k = "idle " + k
		}
		got = append(got, wantRow{k, r.Cost, r.Records})
	}
	return got
}

func TestReport(t *testing.T) {
	p := mustTestPricing(t)
	nodes, usage := fixture()
	for _, tc := range []struct {
		name    string
		groupBy string
		filters []string
		idle    bool
		want    []wantRow
	}{
		{"by virtual cluster", "virtualCluster", nil, true, []wantRow{
			{"vc-a", 0.8736, 5},    // run1 0.6736 + run2 0.20
			{"vc-b", 0.1229075, 2}, // run3
			{"idle __idle__", 5.2096, 3},
		}},
		{"by team tag, the run's tag winning", "tag:team", nil, false, []wantRow{
			{"analytics", 0.20, 1}, {"data", 0.6736, 4}, {"ml", 0.1229075, 2},
		}},
		{"by job run", "jobRun", nil, false, []wantRow{
			{"run1", 0.6736, 4}, {"run2", 0.20, 1}, {"run3", 0.1229075, 2},
		}},
		{"by component", "component", nil, false, []wantRow{
			{"driver", 0.392, 3},       // 0.096 + 0.20 + 0.096
			{"executor", 0.5645075, 3}, // 0.384 + 0.1536 + 0.0269075
			{"job.submitter", 0.04, 1},
		}},
		{"by capacity type, idle too", "capacityType", nil, true, []wantRow{
			{"fargate", 0.0269075, 1},
			{"on-demand", 0.816, 5}, // 0.04 + 0.096 + 0.384 + 0.20 + 0.096
			{"spot", 0.1536, 1},
			{"idle on-demand", 5.056, 2}, // n1 4.376 + n3 0.68
			{"idle spot", 0.1536, 1},
		}},
		{"by virtual cluster and day", "virtualCluster,day", nil, true, []wantRow{
			{"vc-a/2026-07-01", 0.7736, 5}, // run1 0.6736 + run2's first 2 h 0.10
			{"vc-a/2026-07-02", 0.10, 1},
			{"vc-b/2026-07-01", 0.096, 1},
			{"vc-b/2026-07-02", 0.0269075, 1},
			{"idle __idle__/2026-07-01", 4.8696, 3}, // n1 4.376 + n2 0.1536 + n3 0.34
			{"idle __idle__/2026-07-02", 0.34, 1},
		}},
		{"by node, idle per node", "node", nil, true, []wantRow{
			{"fargate-1", 0.0269075, 1},
			{"n1", 0.616, 4}, // 0.04 + 0.096 + 0.384 + 0.096
			{"n2", 0.1536, 1},
			{"n3", 0.20, 1},
			{"idle n1", 4.376, 1}, {"idle n2", 0.1536, 1}, {"idle n3", 0.68, 1},
		}},
		{"a team's runs: no idle rows", "jobRun", []string{"tag:team=data"}, true, []wantRow{
			{"run1", 0.6736, 4},
		}},
		{"spot only, idle of spot nodes", "node", []string{"capacityType=spot"}, true, []wantRow{
			{"n2", 0.1536, 1}, {"idle n2", 0.1536, 1},
		}},
		{"one row", "", nil, false, []wantRow{{"", 0.9965075, 7}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q := Query{From: at(0, 0), To: at(48, 0), Idle: tc.idle}
			var err error
			if q.GroupBy, err = ParseGroupBy(tc.groupBy); err != nil {
				t.Fatal(err)
			}
			for _, f := range tc.filters {
				fl, err := ParseFilter(f)
				if err != nil {
					t.Fatal(err)
				}
				q.Filters = append(q.Filters, fl)
			}
			rep, err := Aggregate(q, p, at(48, 0), nodes, seq(usage))
			if err != nil {
				t.Fatal(err)
			}
			got := rowsOf(rep)
			if !slices.EqualFunc(got, tc.want, func(a, b wantRow) bool {
				return a.key == b.key && near(a.cost, b.cost) && a.records == b.records
			}) {
				t.Errorf("rows:\n got %v\nwant %v", got, tc.want)
			}
		})
	}
}

func TestReportTotals(t *testing.T) {
	p := mustTestPricing(t)
	nodes, usage := fixture()
	q := Query{From: at(0, 0), To: at(48, 0), GroupBy: []Dimension{{Kind: DimVirtualCluster}}, Idle: true}
	rep, err := Aggregate(q, p, at(48, 0), nodes, seq(usage))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name       string
		got, exact float64
		cents      float64
	}{
		{"allocated", rep.Allocated.Cost, 0.9965075, 1.00},
		{"idle", rep.Idle.Cost, 5.2096, 5.21},
		{"total", rep.Total.Cost, 6.2061075, 6.21},
		// idle CPU: n1 2.912 + n2 0.1024 + n3 0.48
		{"idle cpu", rep.Idle.CPUCost, 3.4944, 3.49},
	} {
		if !near(tc.got, tc.exact) || cents(tc.got) != tc.cents {
			t.Errorf("%s = %v, want %v ($%.2f)", tc.name, tc.got, tc.exact, tc.cents)
		}
	}
	if rep.Records != 7 || rep.Total.Records != 7 || rep.Currency != "USD" {
		t.Errorf("records %d, total records %d, currency %q", rep.Records, rep.Total.Records, rep.Currency)
	}
	// Flags: vc-a has the spot estimate and the unknown x9.huge; vc-b none.
	for _, r := range rep.Rows {
		var want Flags
		switch strings.Join(r.Key, "") {
		case "vc-a":
			want = FlagSpotEstimate | FlagFallbackPrice
		case IdleValue:
			want = FlagSpotEstimate | FlagFallbackPrice
		}
		if r.Flags != want {
			t.Errorf("%v flags %v, want %v", r.Key, r.Flags, want)
		}
	}
	// Efficiency of vc-b: only the run3 driver was measured.
	vcb := rep.Rows[1]
	if vcb.CPUEfficiency == nil || !near(*vcb.CPUEfficiency, 0.5) || !near(*vcb.MemoryEfficiency, 1) || !near(*vcb.Efficiency, 2.0/3) {
		t.Errorf("vc-b efficiency: %v %v %v", vcb.CPUEfficiency, vcb.MemoryEfficiency, vcb.Efficiency)
	}
	if rep.Rows[0].CPUEfficiency != nil {
		t.Errorf("vc-a had no usage measured, got efficiency %v", *rep.Rows[0].CPUEfficiency)
	}
	// Idle core-hours of n1: 8 × 13 − (0.5 + 1 + 4) × 2 − 2 × 1 = 91.
	rep, _ = Aggregate(Query{From: at(0, 0), To: at(48, 0), GroupBy: []Dimension{{Kind: DimNode}}, Idle: true,
		Filters: []Filter{{Dimension: Dimension{Kind: DimNode}, Values: []string{"n1"}}}}, p, at(48, 0), nodes, seq(usage))
	if idle := rep.Rows[len(rep.Rows)-1]; !idle.Idle || !near(idle.CPUCoreHours, 91) {
		t.Errorf("n1 idle core-hours: %+v", idle)
	}
}

// A running pod and a running node are metered up to now; nodes whose pods
// were charged more than the node costs show zero idle, flagged.
func TestReportRunningAndOverallocated(t *testing.T) {
	p := mustTestPricing(t)
	nodes := []Node{{Name: "n1", InstanceType: "m5.2xlarge", Start: at(10, 0)}}
	// 10 vCPU on an 8-vCPU node, 10:00 to now (11:00): cpu 10 × 1 × 0.032 =
	// 0.32 (node: 0.256, so no CPU idle); memory 8 × 0.004 = 0.032 of 0.128:
	// idle 0.096.
	usage := []Usage{{JobRunID: "r", Node: "n1", InstanceType: "m5.2xlarge", Request: res(10, 8), Start: at(10, 0)}}
	q := Query{From: at(0, 0), To: at(24, 0), Idle: true}
	rep, err := Aggregate(q, p, at(11, 0), nodes, seq(usage))
	if err != nil {
		t.Fatal(err)
	}
	if !near(rep.Allocated.Cost, 0.352) || rep.Allocated.Flags != FlagRunning {
		t.Errorf("allocated %v flags %v", rep.Allocated.Cost, rep.Allocated.Flags)
	}
	if !near(rep.Idle.Cost, 0.096) || rep.Idle.CPUCost != 0 || rep.Idle.Flags != FlagRunning|FlagOverallocated {
		t.Errorf("idle %v (cpu %v) flags %v", rep.Idle.Cost, rep.Idle.CPUCost, rep.Idle.Flags)
	}
}

// Whatever the pods, allocated cost on nodes + idle = what the nodes cost,
// when no node is overallocated.
func TestReportConservesNodeCost(t *testing.T) {
	p := mustTestPricing(t)
	nodes := []Node{
		{Name: "a", InstanceType: "m5.2xlarge", Start: at(0, 0), End: at(30, 0)},
		{Name: "b", InstanceType: "r5.xlarge", CapacityType: Spot, Start: at(5, 0), End: at(40, 0)},
		{Name: "c", InstanceType: "x9.huge", CPU: 4, Memory: 16 * gib, Start: at(0, 0)},
	}
	var usage []Usage
	for i := range 60 {
		n := nodes[i%3]
		start := n.Start.Add(time.Duration(i*37) * time.Minute)
		usage = append(usage, Usage{JobRunID: "r", Node: n.Name, InstanceType: n.InstanceType, CapacityType: n.CapacityType,
			Request: res(0.125, 0.5), Start: start, End: start.Add(time.Duration(1+i%7) * 23 * time.Minute)})
	}
	var nodeCost float64
	for i := range nodes {
		cpu, mem, _ := p.NodeHourly(&nodes[i])
		a, b, _ := clip(nodes[i].Start, nodes[i].End, at(0, 0), at(48, 0), at(44, 0))
		nodeCost += (cpu + mem) * b.Sub(a).Hours()
	}
	for _, g := range []string{"", "day", "node,day", "virtualCluster,day,capacityType"} {
		dims, _ := ParseGroupBy(g)
		rep, err := Aggregate(Query{From: at(0, 0), To: at(48, 0), GroupBy: dims, Idle: true}, p, at(44, 0), nodes, seq(usage))
		if err != nil {
			t.Fatal(err)
		}
		if !near(rep.Total.Cost, nodeCost) || rep.Total.Flags&FlagOverallocated != 0 {
			t.Errorf("group by %q: total %v, nodes cost %v", g, rep.Total.Cost, nodeCost)
		}
	}
}

// Aggregators fed disjoint shares of the records and merged give the
// report of one fed them all.
func TestAggregatorMerge(t *testing.T) {
	p := mustTestPricing(t)
	nodes, usage := fixture()
	q := Query{From: at(0, 0), To: at(48, 0), GroupBy: []Dimension{{Kind: DimVirtualCluster}, {Kind: DimDay}}, Idle: true}
	want, err := Aggregate(q, p, at(48, 0), nodes, seq(usage))
	if err != nil {
		t.Fatal(err)
	}
	var parts []*Aggregator
	for i := range 3 {
		a, err := NewAggregator(q, p, at(48, 0))
		if err != nil {
			t.Fatal(err)
		}
		for j := i; j < len(usage); j += 3 {
			if err := a.Add(&usage[j]); err != nil {
				t.Fatal(err)
			}
		}
		if i < len(nodes) {
			for j := i; j < len(nodes); j += 3 {
				if err := a.AddNode(nodes[j]); err != nil {
					t.Fatal(err)
				}
			}
		}
		parts = append(parts, a)
	}
	parts[0].Merge(parts[1])
	parts[0].Merge(parts[2])
	got := parts[0].Report()
	if !slices.EqualFunc(rowsOf(got), rowsOf(want), func(a, b wantRow) bool {
		return a.key == b.key && near(a.cost, b.cost) && a.records == b.records
	}) || got.Records != want.Records || !near(got.Total.Cost, want.Total.Cost) {
		t.Errorf("merged:\n%v\nwant\n%v", rowsOf(got), rowsOf(want))
	}
}

func TestAggregateErrors(t *testing.T) {
	p := mustTestPricing(t)
	q := Query{From: at(0, 0), To: at(24, 0)}
	bad := []Usage{{JobRunID: "r", Pod: "p", Start: at(2, 0), End: at(1, 0)}}
	if _, err := Aggregate(q, p, at(24, 0), nil, seq(bad)); !errors.Is(err, ErrInvalidUsage) || !strings.Contains(err.Error(), `pod "p"`) {
		t.Errorf("bad record: %v", err)
	}
	boom := errors.New("boom")
	failing := func(yield func(Usage, error) bool) { yield(Usage{}, boom) }
	if _, err := Aggregate(q, p, at(24, 0), nil, failing); !errors.Is(err, boom) {
		t.Errorf("failing stream: %v", err)
	}
	if _, err := Aggregate(q, p, at(24, 0), []Node{{Name: "n"}}, seq(nil)); !errors.Is(err, ErrInvalidUsage) {
		t.Errorf("node without start: %v", err)
	}
	if _, err := Aggregate(Query{}, p, at(24, 0), nil, seq(nil)); err == nil {
		t.Error("empty query: no error")
	}
}
