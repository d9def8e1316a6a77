package cost

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"iter"
	"slices"
	"time"
)

// Aggregator builds a report from usage records streamed through Add, in
// memory proportional to the number of groups and nodes, not of records.
// Nodes (for idle cost) may be added before, between or after records. It
// is not safe for concurrent use.
type Aggregator struct {
	q      Query
	p      *Pricing
	now    time.Time
	byDay  bool
	groups map[string]*group
	nodes  []Node
	alloc  map[nodeDay]*[2]float64 // cpu and memory cost charged to pods on a node, per day
	buf    []byte
	reads  int64
	// One-entry caches: records come ordered by run from a store, so
	// consecutive records mostly share their group and node.
	lastKey   []byte
	lastGroup *group
	lastND    nodeDay
	lastAlloc *[2]float64
	lastType  string
	lastCT    CapacityType
	lastPrice UnitPrice
	havePrice bool
}

type group struct {
	key []string
	acc acc
}

// nodeDay keys what pods were charged on a node on a day (day 0 when the
// report is not by day).
type nodeDay struct {
	name string
	day  int64
}

// NewAggregator starts a report for q at the pricing p; now closes the
// records and nodes still running.
func NewAggregator(q Query, p *Pricing, now time.Time) (*Aggregator, error) {
	if err := q.Validate(); err != nil {
		return nil, err
	}
	if p == nil {
		return nil, fmt.Errorf("new aggregator: no pricing")
	}
	return &Aggregator{
		q: q, p: p, now: now, byDay: q.groupsByDay(),
		groups: map[string]*group{},
		alloc:  map[nodeDay]*[2]float64{},
	}, nil
}

// Aggregate builds the report of q from the nodes and a stream of usage
// records; it stops at the first error of the stream or record.
func Aggregate(q Query, p *Pricing, now time.Time, nodes []Node, usage iter.Seq2[Usage, error]) (*Report, error) {
	a, err := NewAggregator(q, p, now)
	if err != nil {
		return nil, err
	}
	for i := range nodes {
		if err := a.AddNode(nodes[i]); err != nil {
			return nil, err
		}
	}
	for u, err := range usage {
		if err != nil {
			return nil, fmt.Errorf("read usage: %w", err)
		}
		if err := a.Add(&u); err != nil {
			return nil, err
		}
	}
	return a.Report(), nil
}

// AddNode adds a node whose idle cost the report shows (with Query.Idle).
func (a *Aggregator) AddNode(n Node) error {
	if err := n.Validate(); err != nil {
		return fmt.Errorf("add node: %w", err)
	}
	a.nodes = append(a.nodes, n)
	return nil
}

// Add prices one usage record into its group. u is not retained.
func (a *Aggregator) Add(u *Usage) error {
	return a.addIn(u, a.q.From, a.q.To, time.Time{})
}

// addIn prices the part of u in [from, to), a part of the window. A report
// not by day counts the record in its group only if it started at or after
// countFrom (so that a record read in several parts counts once).
func (a *Aggregator) addIn(u *Usage, from, to, countFrom time.Time) error {
	if err := u.Validate(); err != nil {
		return fmt.Errorf("add usage: %w", err)
	}
	a.reads++
	start, end, ok := clip(u.Start, u.End, from, to, a.now)
	if !ok {
		return nil
	}
	var count int64 = 1
	if !a.byDay && u.Start.Before(countFrom) {
		count = 0
	}
	r := a.p.rateAt(u, a.unitPrice(u))
	match := a.matches(u)
	onNode := a.q.Idle && u.Node != "" && u.CapacityType != Fargate
	for day, d := range a.segments(start, end) {
		c := r.over(d)
		if onNode {
			al := a.nodeAlloc(u.Node, day)
			al[0] += c.CPUCost
			al[1] += c.MemoryCost
		}
		if match {
			g := a.group(u, day)
			g.acc.records += count
			g.acc.add(&c)
		}
	}
	return nil
}

// unitPrice is the unit price of u's node.
func (a *Aggregator) unitPrice(u *Usage) UnitPrice {
	if !a.havePrice || u.InstanceType != a.lastType || u.CapacityType != a.lastCT {
		a.lastType, a.lastCT, a.havePrice = u.InstanceType, u.CapacityType, true
		a.lastPrice = a.p.UnitPrice(u.InstanceType, u.CapacityType)
	}
	return a.lastPrice
}

// nodeAlloc is what pods were charged on a node on a day.
func (a *Aggregator) nodeAlloc(node string, day int64) *[2]float64 {
	nd := nodeDay{node, day}
	if a.lastAlloc != nil && a.lastND == nd {
		return a.lastAlloc
	}
	al := a.alloc[nd]
	if al == nil {
		al = new([2]float64)
		a.alloc[nd] = al
	}
	a.lastND, a.lastAlloc = nd, al
	return al
}

// segments cuts [start, end) at UTC midnights when the report is by day,
// yielding each piece's day number (days since 1970-01-01) and length.
func (a *Aggregator) segments(start, end time.Time) iter.Seq2[int64, time.Duration] {
	return func(yield func(int64, time.Duration) bool) {
		if !a.byDay {
			yield(0, end.Sub(start))
			return
		}
		for start.Before(end) {
			day := dayOf(start)
			next := time.Unix((day+1)*secondsPerDay, 0)
			if next.After(end) {
				next = end
			}
			if !yield(day, next.Sub(start)) {
				return
			}
			start = next
		}
	}
}

const secondsPerDay = 24 * 60 * 60

func dayOf(t time.Time) int64 {
	s := t.Unix()
	d := s / secondsPerDay
	if s%secondsPerDay < 0 {
		d--
	}
	return d
}

func dayString(day int64) string {
	return time.Unix(day*secondsPerDay, 0).UTC().Format(time.DateOnly)
}

// value is u's value of a dimension other than the day.
func value(u *Usage, d Dimension) string {
	switch d.Kind {
	case DimJobRun:
		return u.JobRunID
	case DimVirtualCluster:
		return u.VirtualClusterID
	case DimTag:
		if v, ok := u.RunTags[d.Tag]; ok {
			return v
		}
		if v, ok := u.VirtualClusterTags[d.Tag]; ok {
			return v
		}
		return UnallocatedValue
	case DimComponent:
		return string(u.Component)
	case DimCapacityType:
		return capacityName(u.CapacityType)
	case DimInstanceType:
		return u.InstanceType
	case DimNamespace:
		return u.Namespace
	case DimNode:
		return u.Node
	case DimZone:
		return u.Zone
	case DimPod:
		return u.Pod
	}
	return ""
}

func capacityName(ct CapacityType) string {
	if ct == "" {
		return string(OnDemand)
	}
	return string(ct)
}

func (a *Aggregator) matches(u *Usage) bool {
	for _, f := range a.q.Filters {
		if !slices.Contains(f.Values, value(u, f.Dimension)) {
			return false
		}
	}
	return true
}

// group finds or makes u's group on a day. The lookup key is built in a
// reused buffer (length-prefixed values), so a known group costs no
// allocation.
func (a *Aggregator) group(u *Usage, day int64) *group {
	b := a.buf[:0]
	for _, d := range a.q.GroupBy {
		if d.Kind == DimDay {
			b = binary.AppendVarint(b, day)
			continue
		}
		v := value(u, d)
		b = binary.AppendUvarint(b, uint64(len(v)))
		b = append(b, v...)
	}
	if a.lastGroup != nil && bytes.Equal(b, a.lastKey) {
		a.buf = b
		return a.lastGroup
	}
	a.buf, a.lastKey = a.lastKey, b
	if g, ok := a.groups[string(b)]; ok {
		a.lastGroup = g
		return g
	}
	g := &group{key: make([]string, len(a.q.GroupBy))}
	for i, d := range a.q.GroupBy {
		if d.Kind == DimDay {
			g.key[i] = dayString(day)
		} else {
			g.key[i] = value(u, d)
		}
	}
	a.groups[string(b)] = g
	a.lastGroup = g
	return g
}

// Merge adds what b aggregated (its records, nodes and groups) to a, so
// several aggregators can each read a share of the records in parallel.
// Both must have been made for the same query and pricing; b must not be
// used afterwards.
func (a *Aggregator) Merge(b *Aggregator) {
	a.reads += b.reads
	a.nodes = append(a.nodes, b.nodes...)
	for k, bg := range b.groups {
		if g, ok := a.groups[k]; ok {
			g.acc.merge(&bg.acc)
		} else {
			a.groups[k] = bg
		}
	}
	for k, bal := range b.alloc {
		if al, ok := a.alloc[k]; ok {
			al[0] += bal[0]
			al[1] += bal[1]
		} else {
			a.alloc[k] = bal
		}
	}
}

// Report returns the report of what was added so far.
func (a *Aggregator) Report() *Report {
	rep := &Report{From: a.q.From, To: a.q.To, GroupBy: a.q.GroupBy, Currency: a.p.Currency, Records: a.reads}
	var rows []Row
	var accs []*acc
	for _, g := range a.groups {
		rows = append(rows, g.acc.row(g.key, false))
		accs = append(accs, &g.acc)
	}
	if a.q.Idle {
		for _, g := range a.idle() {
			rows = append(rows, g.acc.row(g.key, true))
			accs = append(accs, &g.acc)
		}
	}
	rep.finish(rows, accs)
	return rep
}
