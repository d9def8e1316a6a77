package cost

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
)

// Pricing is what compute costs: the parsed form of a pricing file (see
// ParsePricing for the format). Build one with ParsePricing, LoadPricing or
// DefaultPricing, or in code followed by Validate.
type Pricing struct {
	// Currency is an ISO 4217 code (USD).
	Currency string
	// Region says where the prices apply; informational.
	Region string
	// SpotFraction estimates a spot price as on-demand × SpotFraction for
	// an instance type without a spot price (flagged spot-estimate), and
	// the spot fallback rates as fallback × SpotFraction.
	SpotFraction float64
	// CPUMemoryRatio is r in the OpenCost split of a node's price
	// (cpu unit price = r × mem unit price); zero means
	// Fallback.PerVCPUHour / Fallback.PerGiBHour, as OpenCost does.
	CPUMemoryRatio float64
	// Fallback prices nodes whose instance type is empty or not listed.
	Fallback Rates
	// Fargate prices pods on Fargate; nil: the fallback rates (flagged).
	Fargate *Rates
	// Uplift is an optional service charge on top of compute (EMR on EKS's).
	Uplift Uplift
	// Instances maps an instance type (m5.xlarge) to its size and prices.
	Instances map[string]Instance
}

// Rates are flat unit prices.
type Rates struct {
	PerVCPUHour float64
	PerGiBHour  float64
}

// Uplift is a charge per requested vCPU-hour and GB-hour (GB read as GiB,
// as AWS meters memory) of driver, executor and local pods; the job
// submitter pod is not charged, as EMR on EKS does not.
type Uplift struct {
	Enabled     bool
	PerVCPUHour float64
	PerGBHour   float64
}

// Instance is an instance type's size and hourly prices.
type Instance struct {
	VCPU      float64
	MemoryGiB float64
	OnDemand  float64 // per hour
	Spot      float64 // per hour; zero: OnDemand × SpotFraction, flagged
}

// UnitPrice is what one core-hour and one GiB-hour cost on some capacity.
type UnitPrice struct {
	CPU    float64 // per core-hour
	Memory float64 // per GiB-hour
	Flags  Flags   // FlagFallbackPrice, FlagSpotEstimate
}

var currencyRE = regexp.MustCompile(`^[A-Z]{3}$`)

// Validate checks every field; the error names the field at fault.
func (p *Pricing) Validate() error {
	for _, c := range p.checks() {
		if c.err != nil {
			return &PricingError{Field: c.field, Msg: c.err.Error()}
		}
	}
	return nil
}

type check struct {
	field string
	err   error
}

// checks lists the validation of every field, in file order.
func (p *Pricing) checks() []check {
	cs := []check{
		{"currency", validCurrency(p.Currency)},
		{"spotFraction", validFraction(p.SpotFraction)},
		{"cpuMemoryRatio", validRatio(p.CPUMemoryRatio)},
		{"fallback.perVCPUHour", validPositive(p.Fallback.PerVCPUHour, maxPrice)},
		{"fallback.perGiBHour", validPositive(p.Fallback.PerGiBHour, maxPrice)},
		{"uplift.perVCPUHour", validPrice(p.Uplift.PerVCPUHour)},
		{"uplift.perGBHour", validPrice(p.Uplift.PerGBHour)},
	}
	if p.CPUMemoryRatio == 0 && cs[3].err == nil && cs[4].err == nil { // fallback rates valid
		cs = append(cs, check{"fallback", validDerivedRatio(p.ratio())})
	}
	if p.Fargate != nil {
		cs = append(cs,
			check{"fargate.perVCPUHour", validPrice(p.Fargate.PerVCPUHour)},
			check{"fargate.perGiBHour", validPrice(p.Fargate.PerGiBHour)})
	}
	for _, name := range slices.Sorted(maps.Keys(p.Instances)) {
		in, f := p.Instances[name], "instances."+name
		cs = append(cs,
			check{f, validInstanceName(name)},
			check{f + ".vcpu", validPositive(in.VCPU, 1e5)},
			check{f + ".memoryGiB", validPositive(in.MemoryGiB, 1e7)},
			check{f + ".onDemand", validPrice(in.OnDemand)},
			check{f + ".spot", validPrice(in.Spot)})
	}
	return cs
}

func validCurrency(s string) error {
	if !currencyRE.MatchString(s) {
		return fmt.Errorf("must be a 3-letter ISO 4217 code such as USD, got %q", s)
	}
	return nil
}

func validFraction(v float64) error {
	if !(v > 0 && v <= 1) {
		return fmt.Errorf("must be in (0, 1], got %v", v)
	}
	return nil
}

// Bounds that keep every product and quotient of prices finite.
const (
	maxPrice = 1e6 // per hour
	minRatio = 1e-6
	maxRatio = 1e6
)

func validRatio(v float64) error {
	if v != 0 && !(v >= minRatio && v <= maxRatio) {
		return fmt.Errorf("must be 0 (from the fallback prices) or between %g and %g, got %v", minRatio, maxRatio, v)
	}
	return nil
}

func validDerivedRatio(v float64) error {
	if !(v >= minRatio && v <= maxRatio) {
		return fmt.Errorf("perVCPUHour / perGiBHour must be between %g and %g (or set cpuMemoryRatio), got %v", minRatio, maxRatio, v)
	}
	return nil
}

func validPositive(v, maxV float64) error {
	if !(v > 0 && v <= maxV) {
		return fmt.Errorf("must be a finite number > 0 and ≤ %g, got %v", maxV, v)
	}
	return nil
}

func validPrice(v float64) error {
	if !(v >= 0 && v <= maxPrice) {
		return fmt.Errorf("must be a finite number ≥ 0 and ≤ %g, got %v", float64(maxPrice), v)
	}
	return nil
}

var instanceRE = regexp.MustCompile(`^[a-z0-9][a-z0-9.\-]*$`)

func validInstanceName(s string) error {
	if len(s) > 64 || !instanceRE.MatchString(s) {
		return fmt.Errorf("instance type %q is not a lower-case name such as m5.xlarge", s)
	}
	return nil
}

// ratio is the OpenCost CPU:memory weighting r.
func (p *Pricing) ratio() float64 {
	if p.CPUMemoryRatio > 0 {
		return p.CPUMemoryRatio
	}
	return p.Fallback.PerVCPUHour / p.Fallback.PerGiBHour
}

// Split divides an hourly node price into unit prices the OpenCost way
// (reference §1.2): mem = hourly / (vCPU × r + GiB), cpu = mem × r.
func (p *Pricing) Split(hourly, vcpu, memGiB float64) (cpuPerHour, memPerGiBHour float64) {
	r := p.ratio()
	d := vcpu*r + memGiB
	if d <= 0 {
		return 0, 0
	}
	mem := hourly / d
	return mem * r, mem
}

// UnitPrice is the price of a core-hour and a GiB-hour on a node of the
// instance type and capacity type (Fargate: the Fargate rates; empty
// capacity type: on-demand).
func (p *Pricing) UnitPrice(instanceType string, ct CapacityType) UnitPrice {
	if ct == Fargate {
		if p.Fargate != nil {
			return UnitPrice{CPU: p.Fargate.PerVCPUHour, Memory: p.Fargate.PerGiBHour}
		}
		return p.fallback(OnDemand)
	}
	in, ok := p.Instances[instanceType]
	if !ok {
		return p.fallback(ct)
	}
	hourly, flags := p.hourly(in, ct)
	cpu, mem := p.Split(hourly, in.VCPU, in.MemoryGiB)
	return UnitPrice{CPU: cpu, Memory: mem, Flags: flags}
}

func (p *Pricing) hourly(in Instance, ct CapacityType) (float64, Flags) {
	if ct != Spot {
		return in.OnDemand, 0
	}
	if in.Spot > 0 {
		return in.Spot, 0
	}
	return in.OnDemand * p.SpotFraction, FlagSpotEstimate
}

func (p *Pricing) fallback(ct CapacityType) UnitPrice {
	u := UnitPrice{CPU: p.Fallback.PerVCPUHour, Memory: p.Fallback.PerGiBHour, Flags: FlagFallbackPrice}
	if ct == Spot {
		u.CPU *= p.SpotFraction
		u.Memory *= p.SpotFraction
		u.Flags |= FlagSpotEstimate
	}
	return u
}

// NodeHourly is what a node costs per hour, split into its CPU and memory
// parts: a listed instance type at its price, any other at the fallback
// rates × its allocatable resources. Fargate nodes cost nothing by
// themselves (Fargate bills the pods).
func (p *Pricing) NodeHourly(n *Node) (cpu, mem float64, flags Flags) {
	if n.CapacityType == Fargate {
		return 0, 0, 0
	}
	u := p.UnitPrice(n.InstanceType, n.CapacityType)
	if in, ok := p.Instances[n.InstanceType]; ok {
		return u.CPU * in.VCPU, u.Memory * in.MemoryGiB, u.Flags
	}
	return u.CPU * n.CPU, u.Memory * float64(n.Memory) / gib, u.Flags
}

const gib = 1 << 30
