package cost

import (
	"slices"
	"time"
)

// Report is what a Query returns: one row per group, then the idle rows,
// and their sums.
type Report struct {
	From, To time.Time
	GroupBy  []Dimension
	Currency string
	// Rows are the allocation rows sorted by key, then the idle rows
	// sorted by key.
	Rows []Row
	// Allocated, Idle and Total sum the allocation rows, the idle rows and
	// all rows (their Key is nil).
	Allocated, Idle, Total Row
	// Records is how many usage records (and rollup rows, see Build) were
	// read.
	Records int64
}

// Row is one group of a report.
type Row struct {
	// Key holds the group's value of each GroupBy dimension, in order.
	Key []string
	// Idle marks a row of idle node cost (see the package doc).
	Idle bool
	// Records counts the usage records (pods) in the group; a pod cut at
	// midnight counts in each of its days. For idle rows: node-days.
	Records int64
	// CPUCoreHours and MemoryGiBHours are what was charged: requests, or
	// max(request, usage) when usage was measured. For idle rows: the idle
	// core-hours and GiB-hours.
	CPUCoreHours   float64
	MemoryGiBHours float64
	CPUCost        float64
	MemoryCost     float64
	UpliftCost     float64
	// Cost is CPUCost + MemoryCost + UpliftCost.
	Cost float64
	// CPUEfficiency and MemoryEfficiency are usage ÷ request over the
	// records that had usage measured, Efficiency their cost-weighted mean
	// (OpenCost's totalEfficiency); nil when none had.
	CPUEfficiency    *float64
	MemoryEfficiency *float64
	Efficiency       *float64
	Flags            Flags
}

// acc accumulates a row.
type acc struct {
	records                          int64
	cpuHours, memHours               float64
	cpuCost, memCost, uplift         float64
	measured                         bool
	reqCPU, usedCPU, reqMem, usedMem float64
	measCPUCost, measMemCost         float64
	flags                            Flags
}

func (a *acc) add(c *Charge) {
	a.cpuHours += c.CPUCoreHours
	a.memHours += c.MemoryGiBHours
	a.cpuCost += c.CPUCost
	a.memCost += c.MemoryCost
	a.uplift += c.UpliftCost
	a.flags |= c.Flags
	if c.Measured {
		a.measured = true
		a.reqCPU += c.RequestCPUHours
		a.usedCPU += c.UsedCPUHours
		a.reqMem += c.RequestGiBHours
		a.usedMem += c.UsedGiBHours
		a.measCPUCost += c.measuredCPUCost
		a.measMemCost += c.measuredMemCost
	}
}

func (a *acc) merge(b *acc) {
	a.records += b.records
	a.add(&Charge{
		CPUCoreHours: b.cpuHours, MemoryGiBHours: b.memHours,
		CPUCost: b.cpuCost, MemoryCost: b.memCost, UpliftCost: b.uplift, Flags: b.flags,
		Measured:        b.measured,
		RequestCPUHours: b.reqCPU, UsedCPUHours: b.usedCPU,
		RequestGiBHours: b.reqMem, UsedGiBHours: b.usedMem,
		measuredCPUCost: b.measCPUCost, measuredMemCost: b.measMemCost,
	})
}

// efficiency is used ÷ requested as OpenCost computes it: with nothing
// requested, 1 if something was used, else 0.
func efficiency(used, req float64) float64 {
	if req > 0 {
		return used / req
	}
	if used > 0 {
		return 1
	}
	return 0
}

func (a *acc) row(key []string, idle bool) Row {
	r := Row{
		Key: key, Idle: idle, Records: a.records,
		CPUCoreHours: a.cpuHours, MemoryGiBHours: a.memHours,
		CPUCost: a.cpuCost, MemoryCost: a.memCost, UpliftCost: a.uplift,
		Cost:  a.cpuCost + a.memCost + a.uplift,
		Flags: a.flags,
	}
	if a.measured {
		cpu, mem := efficiency(a.usedCPU, a.reqCPU), efficiency(a.usedMem, a.reqMem)
		total := 0.0
		if w := a.measCPUCost + a.measMemCost; w > 0 {
			total = (cpu*a.measCPUCost + mem*a.measMemCost) / w
		}
		r.CPUEfficiency, r.MemoryEfficiency, r.Efficiency = &cpu, &mem, &total
	}
	return r
}

// finish sorts the rows and sums them.
func (rep *Report) finish(rows []Row, accs []*acc) {
	var alloc, idle acc
	for i, r := range rows {
		if r.Idle {
			idle.merge(accs[i])
		} else {
			alloc.merge(accs[i])
		}
	}
	total := alloc
	total.merge(&idle)
	total.records = alloc.records // records, not node-days
	rep.Allocated, rep.Idle, rep.Total = alloc.row(nil, false), idle.row(nil, true), total.row(nil, false)
	slices.SortFunc(rows, func(a, b Row) int {
		if a.Idle != b.Idle {
			if a.Idle {
				return 1
			}
			return -1
		}
		return slices.Compare(a.Key, b.Key)
	})
	rep.Rows = rows
}
