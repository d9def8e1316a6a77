package cost

import (
	"fmt"
	"iter"
	"time"
)

// Source is the metering data a report reads, as of one moment (a store
// reads it in one transaction). The sequences stream from the store.
type Source interface {
	// Nodes are the nodes up at some time in [from, to).
	Nodes(from, to time.Time) ([]Node, error)
	// Usage streams the records whose life overlaps [from, to), running or
	// not, with the current tags of their job run and virtual cluster.
	Usage(from, to time.Time) iter.Seq2[Usage, error]
	// Running streams the records still running (no end) that started
	// before to, with tags as Usage.
	Running(to time.Time) iter.Seq2[Usage, error]
	// Daily streams the daily rollups of the finished records for the days
	// [fromDay, toDay), rows with no records left out.
	Daily(fromDay, toDay int64) iter.Seq2[DailyUsage, error]
	// NodeDaily streams what finished records charged on each node, per
	// day, for the days [fromDay, toDay).
	NodeDaily(fromDay, toDay int64) iter.Seq2[NodeDaily, error]
}

// Build makes the report of q from src. The whole UTC days of the window
// come from the daily rollups, priced now with p; the partial days at its
// ends from the records of those hours, and the pods still running from
// their records, over the whole window. A query that groups or filters by
// job run, node or pod, which the rollups do not keep, reads every record
// of the window instead. Either way the report is the one Aggregate makes
// from the records alone, up to the rounding of sums.
func Build(q Query, p *Pricing, now time.Time, src Source) (*Report, error) {
	a, err := NewAggregator(q, p, now)
	if err != nil {
		return nil, err
	}
	nodes, err := src.Nodes(q.From, q.To)
	if err != nil {
		return nil, fmt.Errorf("read nodes: %w", err)
	}
	for i := range nodes {
		if err := a.AddNode(nodes[i]); err != nil {
			return nil, err
		}
	}
	first, last := wholeDays(q.From, q.To)
	if !q.Rollable() || first >= last {
		if err := a.addAll(src.Usage(q.From, q.To), func(u *Usage) error { return a.Add(u) }); err != nil {
			return nil, err
		}
		return a.Report(), nil
	}
	d1, d2 := DayStart(first), DayStart(last)
	if q.From.Before(d1) { // the leading partial day: its finished records
		if err := a.addAll(src.Usage(q.From, d1), func(u *Usage) error {
			if u.End.IsZero() {
				return nil
			}
			return a.addIn(u, q.From, d1, time.Time{})
		}); err != nil {
			return nil, err
		}
	}
	if d2.Before(q.To) { // the trailing one, counting the records that start in it
		if err := a.addAll(src.Usage(d2, q.To), func(u *Usage) error {
			if u.End.IsZero() {
				return nil
			}
			return a.addIn(u, d2, q.To, d2)
		}); err != nil {
			return nil, err
		}
	}
	if err := a.addAll(src.Running(q.To), func(u *Usage) error { return a.Add(u) }); err != nil {
		return nil, err
	}
	countAll := q.From.Equal(d1) // no leading part: count the records that started before the window on its first day
	for d, err := range src.Daily(first, last) {
		if err != nil {
			return nil, fmt.Errorf("read daily usage: %w", err)
		}
		a.addDaily(&d, countAll && d.Day == first)
	}
	if q.Idle {
		for n, err := range src.NodeDaily(first, last) {
			if err != nil {
				return nil, fmt.Errorf("read daily node usage: %w", err)
			}
			a.addNodeDaily(&n)
		}
	}
	return a.Report(), nil
}

// addAll adds a stream of records with add.
func (a *Aggregator) addAll(usage iter.Seq2[Usage, error], add func(*Usage) error) error {
	for u, err := range usage {
		if err != nil {
			return fmt.Errorf("read usage: %w", err)
		}
		if err := add(&u); err != nil {
			return err
		}
	}
	return nil
}

// wholeDays are the UTC days [first, last) inside [from, to).
func wholeDays(from, to time.Time) (first, last int64) {
	first = dayOf(from)
	if !DayStart(first).Equal(from) {
		first++
	}
	return first, dayOf(to)
}

// Rollable: the daily rollups can answer q (it neither groups nor filters
// by job run, node or pod).
func (q *Query) Rollable() bool {
	rollable := func(d Dimension) bool {
		return d.Kind != DimJobRun && d.Kind != DimNode && d.Kind != DimPod
	}
	for _, d := range q.GroupBy {
		if !rollable(d) {
			return false
		}
	}
	for _, f := range q.Filters {
		if !rollable(f.Dimension) {
			return false
		}
	}
	return true
}

// addDaily prices one rollup row into its group. A report not by day
// counts the row's records that started on its day, or, with
// countOverlapping, all those that overlap it.
func (a *Aggregator) addDaily(d *DailyUsage, countOverlapping bool) {
	a.reads++
	if d.Pods <= 0 {
		return
	}
	u := Usage{VirtualClusterID: d.VirtualClusterID, Namespace: d.Namespace, Component: d.Component,
		InstanceType: d.InstanceType, CapacityType: d.CapacityType, Zone: d.Zone,
		RunTags: d.RunTags, VirtualClusterTags: d.VirtualClusterTags}
	if !a.matches(&u) {
		return
	}
	c := a.dailyCharge(&u, &d.DailySums)
	day, count := d.Day, d.Pods
	if !a.byDay {
		day = 0
		if !countOverlapping {
			count = d.PodsStarted
		}
	}
	g := a.group(&u, day)
	g.acc.records += count
	g.acc.add(&c)
}

// dailyCharge prices the sums of a rollup row of key u.
func (a *Aggregator) dailyCharge(u *Usage, s *DailySums) Charge {
	price := a.unitPrice(u)
	const h = 3600
	c := Charge{
		CPUCoreHours:   s.CPUSeconds / h,
		MemoryGiBHours: s.GiBSeconds / h,
		CPUCost:        s.CPUSeconds / h * price.CPU,
		MemoryCost:     s.GiBSeconds / h * price.Memory,
		Flags:          price.Flags,
	}
	if s.AboveRequest > 0 {
		c.Flags |= FlagUsageAboveRequest
	}
	if a.p.Uplift.Enabled && u.Component != ComponentSubmitter {
		c.UpliftCost = s.RequestCPUSeconds/h*a.p.Uplift.PerVCPUHour + s.RequestGiBSeconds/h*a.p.Uplift.PerGBHour
	}
	if s.Measured > 0 {
		c.Measured = true
		c.RequestCPUHours, c.UsedCPUHours = s.MeasuredRequestCPUSeconds/h, s.UsedCPUSeconds/h
		c.RequestGiBHours, c.UsedGiBHours = s.MeasuredRequestGiBSeconds/h, s.UsedGiBSeconds/h
		c.measuredCPUCost = s.MeasuredCPUSeconds / h * price.CPU
		c.measuredMemCost = s.MeasuredGiBSeconds / h * price.Memory
	}
	return c
}

// addNodeDaily adds what finished records charged on a node on a day to
// what its idle cost takes away.
func (a *Aggregator) addNodeDaily(n *NodeDaily) {
	a.reads++
	if n.Node == "" || n.CapacityType == Fargate {
		return
	}
	price := a.unitPrice(&Usage{InstanceType: n.InstanceType, CapacityType: n.CapacityType})
	day := n.Day
	if !a.byDay {
		day = 0
	}
	al := a.nodeAlloc(n.Node, day)
	al[0] += n.CPUSeconds / 3600 * price.CPU
	al[1] += n.GiBSeconds / 3600 * price.Memory
}
