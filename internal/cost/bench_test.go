package cost

import (
	"errors"
	"flag"
	"fmt"
	"iter"
	"runtime"
	"sync"
	"testing"
	"time"
)

var benchRecords = flag.Int("cost.records", 1_000_000, "usage records per report in BenchmarkReport")

// synthetic streams n pod records of 100 virtual clusters (a team tag
// each) over a week, ten pods a run, on 400 nodes of four instance types
// (a quarter spot, one type unknown), with a few Fargate pods and usage
// measured on a third: the records are made as they are read, as a store
// cursor would, so none is kept.
func synthetic(n int, from time.Time) ([]Node, iter.Seq2[Usage, error]) {
	nodes, shard := syntheticShards(n, from)
	return nodes, shard(0, 1)
}

// syntheticShards is synthetic whose stream is cut into shards: shard(k, m)
// yields the records i with i mod m = k.
func syntheticShards(n int, from time.Time) ([]Node, func(k, m int) iter.Seq2[Usage, error]) {
	types := []string{"m5.2xlarge", "r5.xlarge", "m5.2xlarge", "x9.huge"}
	nodes := make([]Node, 400)
	nodeNames := make([]string, len(nodes))
	for i := range nodes {
		ct := OnDemand
		if i%4 == 1 {
			ct = Spot
		}
		nodeNames[i] = fmt.Sprintf("ip-10-0-%d-%d.ec2.internal", i/250, i%250)
		nodes[i] = Node{Name: nodeNames[i], InstanceType: types[i%len(types)], CapacityType: ct,
			CPU: 8, Memory: 32 * gib, Start: from, End: from.Add(7 * 24 * time.Hour)}
	}
	vcs := make([]string, 100)
	tags := make([]map[string]string, len(vcs))
	for i := range vcs {
		vcs[i] = fmt.Sprintf("vc%023d", i)
		tags[i] = map[string]string{"team": fmt.Sprintf("team-%d", i%12)}
	}
	runs := make([]string, n/10+1)
	for i := range runs {
		runs[i] = fmt.Sprintf("%019d", i)
	}
	comps := []Component{ComponentSubmitter, ComponentDriver, ComponentExecutor, ComponentExecutor, ComponentExecutor,
		ComponentExecutor, ComponentExecutor, ComponentExecutor, ComponentExecutor, ComponentExecutor}
	step := 7 * 24 * time.Hour / time.Duration(n)
	shard := func(k, m int) iter.Seq2[Usage, error] {
		return func(yield func(Usage, error) bool) {
			used := Resources{CPU: 1.5, Memory: 6 * gib}
			for i := k; i < n; i += m {
				node := &nodes[(i*7919)%len(nodes)]
				vc := (i / 10) % len(vcs)
				start := from.Add(time.Duration(i) * step)
				u := Usage{
					JobRunID: runs[i/10], VirtualClusterID: vcs[vc], Attempt: 1, Component: comps[i%10],
					Namespace: "spark", Node: node.Name, InstanceType: node.InstanceType, CapacityType: node.CapacityType,
					Request: Resources{CPU: 1, Memory: 4 * gib}, Limit: Resources{CPU: 1, Memory: 4 * gib},
					Start: start, End: start.Add(time.Duration(1+i%120) * time.Minute),
					VirtualClusterTags: tags[vc],
				}
				if i%3 == 0 {
					u.Used = &used
				}
				if i%50 == 0 {
					u.CapacityType, u.Node, u.InstanceType = Fargate, "", ""
				}
				if !yield(u, nil) {
					return
				}
			}
		}
	}
	return nodes, shard
}

// BenchmarkReport aggregates -cost.records synthetic records (1,000,000 by
// default) into a report by virtual cluster and day with idle rows, and
// reports records/s, the bytes allocated per report and the heap in use
// at the end. The generate sub-benchmark reads the same stream without
// aggregating it, to show what the stream itself costs.
func BenchmarkReport(b *testing.B) {
	n := *benchRecords
	from := time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC)
	p := DefaultPricing()
	q := Query{From: from, To: from.Add(7 * 24 * time.Hour), Idle: true,
		GroupBy: []Dimension{{Kind: DimVirtualCluster}, {Kind: DimDay}}}
	b.Run("virtualCluster,day", func(b *testing.B) {
		nodes, usage := synthetic(n, from)
		b.ReportAllocs()
		var rep *Report
		for b.Loop() {
			var err error
			if rep, err = Aggregate(q, p, q.To, nodes, usage); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		var ms runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&ms)
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "heap-MiB")
		if rep.Records != int64(n) || len(rep.Rows) != 100*7+7 {
			b.Fatalf("%d records, %d rows", rep.Records, len(rep.Rows))
		}
	})
	b.Run("virtualCluster,day,parallel", func(b *testing.B) {
		nodes, shard := syntheticShards(n, from)
		workers := runtime.GOMAXPROCS(0)
		b.ReportAllocs()
		for b.Loop() {
			parts := make([]*Aggregator, workers)
			errs := make([]error, workers)
			var wg sync.WaitGroup
			for k := range workers {
				a, err := NewAggregator(q, p, q.To)
				if err != nil {
					b.Fatal(err)
				}
				parts[k] = a
				wg.Go(func() {
					for u := range shard(k, workers) {
						if errs[k] = a.Add(&u); errs[k] != nil {
							return
						}
					}
				})
			}
			wg.Wait()
			for k := 1; k < workers; k++ {
				parts[0].Merge(parts[k])
			}
			for i := range nodes {
				if err := parts[0].AddNode(nodes[i]); err != nil {
					b.Fatal(err)
				}
			}
			if rep := parts[0].Report(); rep.Records != int64(n) || errors.Join(errs...) != nil {
				b.Fatalf("%d records, %v", rep.Records, errors.Join(errs...))
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		b.ReportMetric(float64(workers), "workers")
	})
	b.Run("generate", func(b *testing.B) {
		_, usage := synthetic(n, from)
		var sink float64
		for b.Loop() {
			for u := range usage {
				sink += u.Request.CPU
			}
		}
		b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "records/s")
		_ = sink
	})
}
