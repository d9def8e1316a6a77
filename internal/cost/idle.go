package cost

import (
	"slices"
	"strings"
)

// nodePiece is a node over one day (or the whole window) of the report.
type nodePiece struct {
	n        *Node
	day      int64
	hours    float64
	cpu, mem float64 // what the node costs over the piece
	flags    Flags
}

// idle returns the idle groups: for each node and day, what the node cost
// minus what pods on it were charged, per resource, never below zero. When
// several node records share a name on a day (a name reused), what pods
// were charged there is shared between them in proportion to their cost.
func (a *Aggregator) idle() map[string]*group {
	var pieces []nodePiece
	totals := map[nodeDay]*[2]float64{}
	for i := range a.nodes {
		n := &a.nodes[i]
		if n.CapacityType == Fargate {
			continue // Fargate bills pods, not nodes: nothing idle
		}
		start, end, ok := clip(n.Start, n.End, a.q.From, a.q.To, a.now)
		if !ok {
			continue
		}
		cpuHourly, memHourly, flags := a.p.NodeHourly(n)
		if n.End.IsZero() {
			flags |= FlagRunning
		}
		for day, d := range a.segments(start, end) {
			h := d.Hours()
			p := nodePiece{n: n, day: day, hours: h, cpu: cpuHourly * h, mem: memHourly * h, flags: flags}
			pieces = append(pieces, p)
			t := totals[nodeDay{n.Name, day}]
			if t == nil {
				t = new([2]float64)
				totals[nodeDay{n.Name, day}] = t
			}
			t[0] += p.cpu
			t[1] += p.mem
		}
	}
	groups := map[string]*group{}
	for _, p := range pieces {
		if !a.idleMatches(p.n) {
			continue
		}
		nd := nodeDay{p.n.Name, p.day}
		var cpu, mem float64 = p.cpu, p.mem
		if al := a.alloc[nd]; al != nil {
			t := totals[nd]
			cpu -= share(al[0], p.cpu, t[0])
			mem -= share(al[1], p.mem, t[1])
		}
		flags := p.flags
		cpu, flags = clampIdle(cpu, p.cpu, flags)
		mem, flags = clampIdle(mem, p.mem, flags)
		unit := a.p.UnitPrice(p.n.InstanceType, p.n.CapacityType)
		c := Charge{Hours: p.hours, CPUCost: cpu, MemoryCost: mem, Flags: flags}
		if unit.CPU > 0 {
			c.CPUCoreHours = cpu / unit.CPU
		}
		if unit.Memory > 0 {
			c.MemoryGiBHours = mem / unit.Memory
		}
		g := a.idleGroup(groups, p.n, p.day)
		g.acc.records++
		g.acc.add(&c)
	}
	return groups
}

// share is this record's part of what pods were charged on its node name.
func share(charged, cost, total float64) float64 {
	if total <= 0 {
		return 0
	}
	return charged * cost / total
}

// clampIdle keeps idle cost at zero or more, flagging a node charged to
// pods for more than it costs (beyond rounding).
func clampIdle(idle, cost float64, flags Flags) (float64, Flags) {
	if idle >= 0 {
		return idle, flags
	}
	if idle < -1e-9*cost {
		flags |= FlagOverallocated
	}
	return 0, flags
}

// nodeValue is a node's value of a node dimension, IdleValue for others.
func nodeValue(n *Node, d Dimension, day int64) string {
	switch d.Kind {
	case DimCapacityType:
		return capacityName(n.CapacityType)
	case DimDay:
		return dayString(day)
	case DimInstanceType:
		return n.InstanceType
	case DimNode:
		return n.Name
	case DimZone:
		return n.Zone
	}
	return IdleValue
}

// idleMatches: idle rows pass the filters on node dimensions only.
func (a *Aggregator) idleMatches(n *Node) bool {
	for _, f := range a.q.Filters {
		if !f.Dimension.nodeDimension() || !slices.Contains(f.Values, nodeValue(n, f.Dimension, 0)) {
			return false
		}
	}
	return true
}

func (a *Aggregator) idleGroup(groups map[string]*group, n *Node, day int64) *group {
	key := make([]string, len(a.q.GroupBy))
	for i, d := range a.q.GroupBy {
		key[i] = nodeValue(n, d, day)
	}
	k := strings.Join(key, "\x00")
	g := groups[k]
	if g == nil {
		g = &group{key: key}
		groups[k] = g
	}
	return g
}
