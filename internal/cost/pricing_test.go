package cost

import (
	"math"
	"testing"
)

// testPricingYAML has round numbers so costs can be worked out by hand.
// r = 0.04 / 0.005 = 8, so
//
//	m5.2xlarge on-demand  0.384 / (8×8 + 32) = 0.004/GiB-h, 0.032/vCPU-h
//	m5.2xlarge spot       0.384 × 0.4 = 0.1536 → 0.0016/GiB-h, 0.0128/vCPU-h (estimate)
//	r5.xlarge on-demand   0.252 / (4×8 + 32) = 0.0039375/GiB-h, 0.0315/vCPU-h
//	r5.xlarge spot        0.06 / 64 = 0.0009375/GiB-h, 0.0075/vCPU-h (listed)
//	unknown               0.04/vCPU-h, 0.005/GiB-h (fallback)
//	Fargate               0.04048/vCPU-h, 0.004445/GiB-h
const testPricingYAML = `
currency: USD
spotFraction: 0.4
fallback: {perVCPUHour: 0.04, perGiBHour: 0.005}
fargate: {perVCPUHour: 0.04048, perGiBHour: 0.004445}
uplift: {enabled: false, perVCPUHour: 0.01012, perGBHour: 0.00111125}
instances:
  m5.2xlarge: {vcpu: 8, memoryGiB: 32, onDemand: 0.384}
  r5.xlarge: {vcpu: 4, memoryGiB: 32, onDemand: 0.252, spot: 0.06}
`

func mustTestPricing(tb testing.TB) *Pricing {
	tb.Helper()
	p, err := ParsePricing([]byte(testPricingYAML))
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

func near(a, b float64) bool { return math.Abs(a-b) <= 1e-9*math.Max(1, math.Abs(b)) }

func TestUnitPrice(t *testing.T) {
	def, test := DefaultPricing(), mustTestPricing(t)
	for _, tc := range []struct {
		name     string
		p        *Pricing
		typ      string
		ct       CapacityType
		cpu, mem float64
		flags    Flags
	}{
		// The examples of reference §1.2, rounded to 6 places there.
		{"m5.xlarge default", def, "m5.xlarge", OnDemand, 0.031247, 0.004188, 0},
		{"r5.2xlarge default", def, "r5.2xlarge", "", 0.030401, 0.004075, 0},
		{"c5d.9xlarge default", def, "c5d.9xlarge", OnDemand, 0.037853, 0.005074, 0},
		{"m6gd.xlarge default", def, "m6gd.xlarge", OnDemand, 0.029424, 0.003944, 0},
		{"m5.2xlarge", test, "m5.2xlarge", OnDemand, 0.032, 0.004, 0},
		{"m5.2xlarge spot estimate", test, "m5.2xlarge", Spot, 0.0128, 0.0016, FlagSpotEstimate},
		{"r5.xlarge", test, "r5.xlarge", OnDemand, 0.0315, 0.0039375, 0},
		{"r5.xlarge spot listed", test, "r5.xlarge", Spot, 0.0075, 0.0009375, 0},
		{"unknown", test, "x9.huge", OnDemand, 0.04, 0.005, FlagFallbackPrice},
		{"empty (local)", test, "", "", 0.04, 0.005, FlagFallbackPrice},
		{"unknown spot", test, "x9.huge", Spot, 0.016, 0.002, FlagFallbackPrice | FlagSpotEstimate},
		{"fargate", test, "m5.2xlarge", Fargate, 0.04048, 0.004445, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			u := tc.p.UnitPrice(tc.typ, tc.ct)
			if math.Abs(u.CPU-tc.cpu) > 5e-7 || math.Abs(u.Memory-tc.mem) > 5e-7 || u.Flags != tc.flags {
				t.Errorf("UnitPrice(%q, %q) = %+v, want cpu %v mem %v flags %v", tc.typ, tc.ct, u, tc.cpu, tc.mem, tc.flags)
			}
		})
	}
}

// The split gives back the node's price: pods filling a node pay all of it.
func TestSplitAddsUp(t *testing.T) {
	p := DefaultPricing()
	for name, in := range p.Instances {
		for _, ct := range []CapacityType{OnDemand, Spot} {
			u := p.UnitPrice(name, ct)
			hourly, _ := p.hourly(in, ct)
			if got := u.CPU*in.VCPU + u.Memory*in.MemoryGiB; !near(got, hourly) {
				t.Errorf("%s %s: split adds up to %v, want %v", name, ct, got, hourly)
			}
		}
	}
}

func TestNodeHourly(t *testing.T) {
	p := mustTestPricing(t)
	for _, tc := range []struct {
		name     string
		n        Node
		cpu, mem float64
	}{
		{"listed", Node{InstanceType: "m5.2xlarge", CPU: 7.9, Memory: 30 * gib}, 0.256, 0.128},
		// Unknown: fallback × allocatable: 2 × 0.04, 6 × 0.005.
		{"unknown", Node{InstanceType: "x9.huge", CPU: 2, Memory: 6 * gib}, 0.08, 0.03},
		{"fargate", Node{CapacityType: Fargate, CPU: 2, Memory: 6 * gib}, 0, 0},
	} {
		cpu, mem, _ := p.NodeHourly(&tc.n)
		if !near(cpu, tc.cpu) || !near(mem, tc.mem) {
			t.Errorf("%s: NodeHourly = %v, %v; want %v, %v", tc.name, cpu, mem, tc.cpu, tc.mem)
		}
	}
}

func TestDefaultPricing(t *testing.T) {
	p := DefaultPricing()
	if p.Currency != "USD" || p.Uplift.Enabled || p.Fargate == nil {
		t.Errorf("default pricing: currency %q, uplift enabled %v, fargate %v", p.Currency, p.Uplift.Enabled, p.Fargate)
	}
	if p.Uplift.PerVCPUHour != 0.01012 || p.Uplift.PerGBHour != 0.00111125 {
		t.Errorf("default uplift = %+v, want EMR on EKS us-east-1", p.Uplift)
	}
	for _, typ := range []string{"m5.xlarge", "m6i.2xlarge", "r5.4xlarge", "c5.9xlarge", "m6g.xlarge", "r6g.large", "c6i.large", "m7i.xlarge"} {
		if _, ok := p.Instances[typ]; !ok {
			t.Errorf("default pricing lacks %s", typ)
		}
	}
	if err := p.Validate(); err != nil {
		t.Error(err)
	}
	if string(DefaultPricingFile()) != string(defaultPricing) {
		t.Error("DefaultPricingFile differs from the embedded file")
	}
}

func TestFargateSize(t *testing.T) {
	const mib = 1 << 20
	for _, tc := range []struct {
		name      string
		cpu       float64
		mem       int64
		wantCPU   float64
		wantMemGi float64
	}{
		{"smallest", 0.1, 100 * mib, 0.25, 0.5},            // 356 MiB → 0.25 vCPU, 0.5 GiB
		{"exact after overhead", 0.25, 768 * mib, 0.25, 1}, // 1024 MiB fits 1 GiB
		{"memory pushes up a tier", 0.25, 2 * gib, 0.5, 3}, // 2.25 GiB: over 0.25 vCPU's 2 GiB
		{"spark executor 1 core 2g", 1, 2 * gib, 1, 3},     // 2.25 → 3
		{"cpu rounds up", 1.5, 4 * gib, 2, 5},              // 2 vCPU, 4.25 → 5
		{"8 vCPU steps of 4", 5, 17 * gib, 8, 20},          // 17.25 → 20
		{"16 vCPU steps of 8", 16, 33 * gib, 16, 40},       // 33.25 → 40
		{"too big", 32, 200 * gib, 32, 200.25},
	} {
		got := FargateSize(Resources{CPU: tc.cpu, Memory: tc.mem})
		if got.CPU != tc.wantCPU || !near(float64(got.Memory)/gib, tc.wantMemGi) {
			t.Errorf("%s: FargateSize = %v vCPU %v GiB, want %v, %v", tc.name, got.CPU, float64(got.Memory)/gib, tc.wantCPU, tc.wantMemGi)
		}
	}
}

func TestNodeInfoFromLabels(t *testing.T) {
	for _, tc := range []struct {
		name   string
		labels map[string]string
		want   NodeInfo
	}{
		{"karpenter spot", map[string]string{LabelInstanceType: "m5.xlarge", LabelZone: "us-east-1a", LabelKarpenterCapacity: "spot"},
			NodeInfo{"m5.xlarge", Spot, "us-east-1a"}},
		{"managed node group", map[string]string{LabelInstanceTypeBeta: "r5.large", LabelZoneBeta: "us-east-1b", LabelEKSCapacity: "ON_DEMAND"},
			NodeInfo{"r5.large", OnDemand, "us-east-1b"}},
		{"fargate", map[string]string{LabelEKSComputeType: "fargate", LabelZone: "us-east-1c"},
			NodeInfo{"", Fargate, "us-east-1c"}},
		{"unknown capacity reads on-demand", map[string]string{LabelKarpenterCapacity: "weird"}, NodeInfo{CapacityType: OnDemand}},
		{"no labels", nil, NodeInfo{}},
	} {
		if got := NodeInfoFromLabels(tc.labels); got != tc.want {
			t.Errorf("%s: got %+v, want %+v", tc.name, got, tc.want)
		}
	}
}

func TestFlagsRoundTrip(t *testing.T) {
	for f := Flags(0); f < 1<<len(flagNames); f++ {
		got, err := ParseFlags(f.String())
		if err != nil || got != f {
			t.Errorf("ParseFlags(%q) = %v, %v; want %v", f.String(), got, err, f)
		}
	}
	if _, err := ParseFlags("bogus"); err == nil {
		t.Error("ParseFlags(bogus): no error")
	}
}
