package cost

import (
	"math"
	"testing"
	"time"
)

// at is 2026-07-01 at hh:mm UTC (hh may pass 24 into the next days).
func at(hh, mm int) time.Time { return time.Date(2026, 7, 1, hh, mm, 0, 0, time.UTC) }

func res(cpu float64, memGiB float64) Resources {
	return Resources{CPU: cpu, Memory: int64(memGiB * gib)}
}

func cents(v float64) float64 { return math.Round(v*100) / 100 }

// TestCharge prices single records over the window 2026-07-01 00:00 to
// 2026-07-02 00:00 with testPricingYAML (prices in its comment).
func TestCharge(t *testing.T) {
	p := mustTestPricing(t)
	up := mustTestPricing(t)
	up.Uplift.Enabled = true
	from, to, now := at(0, 0), at(24, 0), at(12, 0)
	for _, tc := range []struct {
		name              string
		p                 *Pricing
		u                 Usage
		cpu, mem, uplift  float64 // exact
		total             float64 // to the cent
		flags             Flags
		cpuEff, memEff    float64 // when measured
		cpuHours, memGiBh float64
	}{
		{
			// 1 vCPU × 2 h × 0.032 = 0.064; 4 GiB × 2 h × 0.004 = 0.032; total 0.096 → $0.10
			name: "driver on m5.2xlarge",
			p:    p, u: Usage{Component: ComponentDriver, InstanceType: "m5.2xlarge", CapacityType: OnDemand,
				Request: res(1, 4), Start: at(10, 0), End: at(12, 0)},
			cpu: 0.064, mem: 0.032, total: 0.10, cpuHours: 2, memGiBh: 8,
		},
		{
			// 4 × 2 × 0.0128 = 0.1024; 16 × 2 × 0.0016 = 0.0512; total 0.1536 → $0.15
			name: "executor on m5.2xlarge spot, estimated",
			p:    p, u: Usage{Component: ComponentExecutor, InstanceType: "m5.2xlarge", CapacityType: Spot,
				Request: res(4, 16), Start: at(10, 0), End: at(12, 0)},
			cpu: 0.1024, mem: 0.0512, total: 0.15, flags: FlagSpotEstimate, cpuHours: 8, memGiBh: 32,
		},
		{
			// 2 × 1 × 0.0075 = 0.015; 8 × 1 × 0.0009375 = 0.0075; total 0.0225 → $0.02
			name: "executor on r5.xlarge spot, listed",
			p:    p, u: Usage{Component: ComponentExecutor, InstanceType: "r5.xlarge", CapacityType: Spot,
				Request: res(2, 8), Start: at(6, 0), End: at(7, 0)},
			cpu: 0.015, mem: 0.0075, total: 0.02, cpuHours: 2, memGiBh: 8,
		},
		{
			// Fargate size of 1 vCPU / 2 GiB: 2 + 0.25 GiB → 1 vCPU, 3 GiB.
			// 1 × 0.5 h × 0.04048 = 0.02024; 3 × 0.5 × 0.004445 = 0.0066675;
			// total 0.0269075 → $0.03
			name: "fargate executor",
			p:    p, u: Usage{Component: ComponentExecutor, CapacityType: Fargate,
				Request: res(1, 2), Start: at(8, 0), End: at(8, 30)},
			cpu: 0.02024, mem: 0.0066675, total: 0.03, cpuHours: 0.5, memGiBh: 1.5,
		},
		{
			// Fallback: 2 × 3 × 0.04 = 0.24; 4 × 3 × 0.005 = 0.06; total 0.30
			name: "unknown instance type",
			p:    p, u: Usage{Component: ComponentExecutor, InstanceType: "x9.huge",
				Request: res(2, 4), Start: at(1, 0), End: at(4, 0)},
			cpu: 0.24, mem: 0.06, total: 0.30, flags: FlagFallbackPrice, cpuHours: 6, memGiBh: 12,
		},
		{
			// Started 23:00 the day before: 1 h of 2 in the window.
			// 2 × 1 × 0.032 = 0.064; 8 × 1 × 0.004 = 0.032; total 0.096 → $0.10
			name: "overlaps the window's start",
			p:    p, u: Usage{InstanceType: "m5.2xlarge", Request: res(2, 8), Start: at(-1, 0), End: at(1, 0)},
			cpu: 0.064, mem: 0.032, total: 0.10, cpuHours: 2, memGiBh: 8,
		},
		{
			name: "outside the window",
			p:    p, u: Usage{InstanceType: "m5.2xlarge", Request: res(2, 8), Start: at(-3, 0), End: at(-1, 0)},
		},
		{
			// Running since 11:30, now 12:00: 0.5 h. 1 × 0.5 × 0.032 = 0.016;
			// 2 × 0.5 × 0.004 = 0.004; total 0.02
			name: "running, metered up to now",
			p:    p, u: Usage{InstanceType: "m5.2xlarge", Request: res(1, 2), Start: at(11, 30)},
			cpu: 0.016, mem: 0.004, total: 0.02, flags: FlagRunning, cpuHours: 0.5, memGiBh: 1,
		},
		{
			// Exact to the second: 90 s = 0.025 h. 4 × 0.025 × 0.032 = 0.0032;
			// 16 × 0.025 × 0.004 = 0.0016; total 0.0048 → $0.00
			name: "short executor, 90 seconds",
			p:    p, u: Usage{InstanceType: "m5.2xlarge", Request: res(4, 16), Start: at(3, 0), End: at(3, 0).Add(90 * time.Second)},
			cpu: 0.0032, mem: 0.0016, total: 0, cpuHours: 0.1, memGiBh: 0.4,
		},
		{
			// Charged max(request, usage): CPU 3 (used) × 2 × 0.032 = 0.192;
			// memory 4 (requested) × 2 × 0.004 = 0.032; total 0.224 → $0.22.
			// Efficiency: CPU 3/2 = 1.5, memory 2/4 = 0.5.
			name: "usage above request on CPU, below on memory",
			p:    p, u: Usage{InstanceType: "m5.2xlarge", Request: res(2, 4), Used: &Resources{CPU: 3, Memory: 2 * gib},
				Start: at(10, 0), End: at(12, 0)},
			cpu: 0.192, mem: 0.032, total: 0.22, flags: FlagUsageAboveRequest, cpuEff: 1.5, memEff: 0.5, cpuHours: 6, memGiBh: 8,
		},
		{
			// As "driver on m5.2xlarge" plus the uplift on requests:
			// (1 × 0.01012 + 4 × 0.00111125) × 2 = 0.02913; total 0.12513 → $0.13
			name: "driver with uplift",
			p:    up, u: Usage{Component: ComponentDriver, InstanceType: "m5.2xlarge",
				Request: res(1, 4), Start: at(10, 0), End: at(12, 0)},
			cpu: 0.064, mem: 0.032, uplift: 0.02913, total: 0.13, cpuHours: 2, memGiBh: 8,
		},
		{
			// The job submitter is not charged the uplift (EMR on EKS charges drivers and executors).
			name: "job submitter without uplift",
			p:    up, u: Usage{Component: ComponentSubmitter, InstanceType: "m5.2xlarge",
				Request: res(1, 4), Start: at(10, 0), End: at(12, 0)},
			cpu: 0.064, mem: 0.032, total: 0.10, cpuHours: 2, memGiBh: 8,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.u.Validate(); err != nil {
				t.Fatal(err)
			}
			c := tc.p.Charge(&tc.u, from, to, now)
			if !near(c.CPUCost, tc.cpu) || !near(c.MemoryCost, tc.mem) || !near(c.UpliftCost, tc.uplift) {
				t.Errorf("cost: cpu %v mem %v uplift %v, want %v %v %v", c.CPUCost, c.MemoryCost, c.UpliftCost, tc.cpu, tc.mem, tc.uplift)
			}
			if cents(c.Cost()) != tc.total {
				t.Errorf("total %v → %v, want %v", c.Cost(), cents(c.Cost()), tc.total)
			}
			if !near(c.CPUCoreHours, tc.cpuHours) || !near(c.MemoryGiBHours, tc.memGiBh) {
				t.Errorf("core-hours %v, GiB-hours %v; want %v, %v", c.CPUCoreHours, c.MemoryGiBHours, tc.cpuHours, tc.memGiBh)
			}
			if c.Cost() > 0 && c.Flags != tc.flags {
				t.Errorf("flags %v, want %v", c.Flags, tc.flags)
			}
			if c.Measured {
				if e := c.UsedCPUHours / c.RequestCPUHours; !near(e, tc.cpuEff) {
					t.Errorf("cpu efficiency %v, want %v", e, tc.cpuEff)
				}
				if e := c.UsedGiBHours / c.RequestGiBHours; !near(e, tc.memEff) {
					t.Errorf("memory efficiency %v, want %v", e, tc.memEff)
				}
			}
		})
	}
}

func TestUsageValidate(t *testing.T) {
	ok := Usage{Start: at(1, 0), End: at(2, 0), Request: res(1, 1)}
	for _, tc := range []struct {
		name string
		edit func(u *Usage)
	}{
		{"no start", func(u *Usage) { u.Start = time.Time{} }},
		{"end before start", func(u *Usage) { u.End = at(0, 0) }},
		{"negative cpu", func(u *Usage) { u.Request.CPU = -1 }},
		{"NaN cpu", func(u *Usage) { u.Request.CPU = math.NaN() }},
		{"negative memory limit", func(u *Usage) { u.Limit.Memory = -1 }},
		{"infinite usage", func(u *Usage) { u.Used = &Resources{CPU: math.Inf(1)} }},
	} {
		u := ok
		tc.edit(&u)
		if err := u.Validate(); err == nil {
			t.Errorf("%s: no error", tc.name)
		}
	}
	if err := ok.Validate(); err != nil {
		t.Error(err)
	}
}
