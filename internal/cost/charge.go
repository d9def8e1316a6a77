package cost

import (
	"time"
)

// Charge is what one Usage record costs over a window.
type Charge struct {
	Hours          float64 // metered time in the window
	CPUCoreHours   float64 // charged cores × hours
	MemoryGiBHours float64 // charged GiB × hours
	CPUCost        float64
	MemoryCost     float64
	UpliftCost     float64
	Flags          Flags
	// Measured is set when the record had usage; then the request and
	// usage core-hours and GiB-hours below give its efficiency.
	Measured                         bool
	RequestCPUHours, UsedCPUHours    float64
	RequestGiBHours, UsedGiBHours    float64
	measuredCPUCost, measuredMemCost float64
}

// Cost is the charge's total: CPU + memory + uplift.
func (c *Charge) Cost() float64 { return c.CPUCost + c.MemoryCost + c.UpliftCost }

// Charge prices u over [from, to): the part of its life inside the window
// (a running pod up to now), at the unit prices of its node. A record
// outside the window costs nothing.
func (p *Pricing) Charge(u *Usage, from, to, now time.Time) Charge {
	a, b, ok := clip(u.Start, u.End, from, to, now)
	if !ok {
		return Charge{}
	}
	r := p.rate(u)
	return r.over(b.Sub(a))
}

// clip is [start, end) ∩ [from, to), a zero end read as now.
func clip(start, end, from, to, now time.Time) (a, b time.Time, ok bool) {
	if end.IsZero() {
		end = now
	}
	a, b = start, end
	if from.After(a) {
		a = from
	}
	if to.Before(b) {
		b = to
	}
	return a, b, b.After(a)
}

// rate is a record's charge per hour.
type rate struct {
	cpu, memGiB                      float64 // charged amounts
	cpuCost, memCost, uplift         float64 // per hour
	reqCPU, usedCPU, reqGiB, usedGiB float64 // when measured
	measured                         bool
	flags                            Flags
}

func (p *Pricing) rate(u *Usage) rate {
	return p.rateAt(u, p.UnitPrice(u.InstanceType, u.CapacityType))
}

// rateAt is rate at the unit price of u's node.
func (p *Pricing) rateAt(u *Usage, price UnitPrice) rate {
	m := u.amounts()
	r := rate{cpu: m.cpu, memGiB: m.memGiB, flags: price.Flags}
	if m.above {
		r.flags |= FlagUsageAboveRequest
	}
	if u.End.IsZero() {
		r.flags |= FlagRunning
	}
	r.cpuCost, r.memCost = r.cpu*price.CPU, r.memGiB*price.Memory
	if p.Uplift.Enabled && u.Component != ComponentSubmitter {
		r.uplift = m.reqCPU*p.Uplift.PerVCPUHour + m.reqGiB*p.Uplift.PerGBHour
	}
	if m.measured {
		r.measured = true
		r.reqCPU, r.usedCPU, r.reqGiB, r.usedGiB = m.reqCPU, m.usedCPU, m.reqGiB, m.usedGiB
	}
	return r
}

// over is the charge for d of the record's life.
func (r *rate) over(d time.Duration) Charge {
	h := d.Hours()
	c := Charge{
		Hours:          h,
		CPUCoreHours:   r.cpu * h,
		MemoryGiBHours: r.memGiB * h,
		CPUCost:        r.cpuCost * h,
		MemoryCost:     r.memCost * h,
		UpliftCost:     r.uplift * h,
		Flags:          r.flags,
		Measured:       r.measured,
	}
	if r.measured {
		c.RequestCPUHours, c.UsedCPUHours = r.reqCPU*h, r.usedCPU*h
		c.RequestGiBHours, c.UsedGiBHours = r.reqGiB*h, r.usedGiB*h
		c.measuredCPUCost, c.measuredMemCost = c.CPUCost, c.MemoryCost
	}
	return c
}
