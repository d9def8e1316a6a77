package cost

import (
	"errors"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

const validHead = `currency: USD
spotFraction: 0.4
fallback: {perVCPUHour: 0.04, perGiBHour: 0.005}
`

func TestParsePricing(t *testing.T) {
	p := mustTestPricing(t)
	if p.Currency != "USD" || p.SpotFraction != 0.4 || p.Fallback != (Rates{0.04, 0.005}) ||
		*p.Fargate != (Rates{0.04048, 0.004445}) || p.Uplift != (Uplift{false, 0.01012, 0.00111125}) ||
		p.Instances["r5.xlarge"] != (Instance{VCPU: 4, MemoryGiB: 32, OnDemand: 0.252, Spot: 0.06}) {
		t.Errorf("parsed %+v", p)
	}
	// Numbers in any YAML form, optional sections absent.
	p, err := ParsePricing([]byte(validHead + "cpuMemoryRatio: 1e1\ninstances:\n  t.x: {vcpu: 0x2, memoryGiB: 4, onDemand: 1_0}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Fargate != nil || p.ratio() != 10 || p.Instances["t.x"].VCPU != 2 || p.Instances["t.x"].OnDemand != 10 {
		t.Errorf("parsed %+v", p)
	}
}

func TestParsePricingErrors(t *testing.T) {
	for _, tc := range []struct {
		name  string
		yaml  string
		line  int
		field string
		msg   string
	}{
		{"empty", "", 1, "", "empty pricing file"},
		{"only a comment", "# nothing\n", 1, "", "empty pricing file"},
		{"not a mapping", "- a\n- b\n", 1, "", "must be a mapping"},
		{"unclosed list", "currency: USD\nspotFraction: [0.4\n", 2, "", "did not find expected ',' or ']'"},
		{"scanner error", "currency: USD\nspotFraction: @0.4\n", 2, "", "cannot start any token"},
		{"bad indentation", "currency: USD\nfallback:\n  - 1\n  perVCPUHour: 2\n", 3, "", "did not find expected '-' indicator"},
		{"unknown anchor", "currency: USD\nfallback: *rates\n", 2, "", "unknown anchor"},
		{"tabs", "currency: USD\n\tspotFraction: 0.4\n", 2, "", "yaml:"},
		{"unknown top-level field", validHead + "regoin: us-east-1\n", 4, "regoin", "unknown field"},
		{"duplicate", validHead + "currency: EUR\n", 4, "currency", "duplicate field"},
		{"missing required", "currency: USD\nfallback: {perVCPUHour: 1, perGiBHour: 1}\n", 1, "spotFraction", "missing required"},
		{"missing fallback rate", "currency: USD\nspotFraction: 0.4\nfallback:\n  perVCPUHour: 0.04\n", 4, "fallback.perGiBHour", "missing required"},
		{"bad currency", "currency: dollars\nspotFraction: 0.4\nfallback: {perVCPUHour: 0.04, perGiBHour: 0.005}\n", 1, "currency", "ISO 4217"},
		{"currency as a number", "currency: 840\n", 1, "currency", "must be a string"},
		{"price as text", validHead + "instances:\n  m5.xlarge:\n    vcpu: 4\n    memoryGiB: 16\n    onDemand: cheap\n", 8, "instances.m5.xlarge.onDemand", `must be a number, got "cheap"`},
		{"negative price", validHead + "instances:\n  m5.xlarge: {vcpu: 4, memoryGiB: 16, onDemand: -0.192}\n", 5, "instances.m5.xlarge.onDemand", "≥ 0"},
		{"NaN price", validHead + "fargate: {perVCPUHour: .nan, perGiBHour: 1}\n", 4, "fargate.perVCPUHour", "finite"},
		{"infinite price", validHead + "uplift: {perVCPUHour: .inf, perGBHour: 1}\n", 4, "uplift.perVCPUHour", "finite"},
		{"zero vcpu", validHead + "instances:\n  m5.xlarge: {vcpu: 0, memoryGiB: 16, onDemand: 0.192}\n", 5, "instances.m5.xlarge.vcpu", "> 0"},
		{"instance missing price", validHead + "instances:\n  m5.xlarge: {vcpu: 4, memoryGiB: 16}\n", 5, "instances.m5.xlarge.onDemand", "missing required"},
		{"unknown instance field", validHead + "instances:\n  m5.xlarge: {vcpu: 4, memoryGiB: 16, onDemand: 1, gpu: 1}\n", 5, "instances.m5.xlarge.gpu", "unknown field"},
		{"bad instance name", validHead + "instances:\n  M5 XL: {vcpu: 4, memoryGiB: 16, onDemand: 1}\n", 5, "instances.M5 XL", "instance type"},
		{"spot fraction above 1", "currency: USD\nspotFraction: 1.5\nfallback: {perVCPUHour: 0.04, perGiBHour: 0.005}\n", 2, "spotFraction", "(0, 1]"},
		{"uplift enabled as text", validHead + "uplift:\n  enabled: yes please\n  perVCPUHour: 1\n  perGBHour: 1\n", 5, "uplift.enabled", "true or false"},
		{"instances as a list", validHead + "instances:\n  - m5.xlarge\n", 5, "instances", "must be a mapping"},
		{"alias", validHead + "fargate: &f {perVCPUHour: 1, perGiBHour: 1}\nuplift: *f\n", 5, "uplift", "aliases"},
		{"merge key", validHead + "fargate:\n  <<: {perVCPUHour: 1}\n  perGiBHour: 1\n", 5, "fargate.<<", "merge keys are not supported"},
		{"two documents", validHead + "---\ncurrency: EUR\n", 4, "", "more than one YAML document"},
		{"huge vcpu", validHead + "instances:\n  a: {vcpu: 1e308, memoryGiB: 1, onDemand: 1}\n", 5, "instances.a.vcpu", "≤ 100000"},
		{"lopsided fallback", "currency: USD\nspotFraction: 0.4\nfallback: {perVCPUHour: 1, perGiBHour: 1e-300}\n", 3, "fallback", "between"},
		{"key not a string", validHead + "instances:\n  [a]: {vcpu: 1, memoryGiB: 1, onDemand: 1}\n", 5, "instances", "keys must be strings"},
		{"null value", validHead + "region:\n", 4, "region", "got nothing"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := ParsePricing([]byte(tc.yaml))
			pe, ok := errors.AsType[*PricingError](err)
			if !ok {
				t.Fatalf("err = %v, want a *PricingError", err)
			}
			if pe.Line != tc.line || pe.Field != tc.field || !strings.Contains(pe.Msg, tc.msg) {
				t.Errorf("got line %d field %q msg %q (%v); want line %d field %q msg ~%q", pe.Line, pe.Field, pe.Msg, err, tc.line, tc.field, tc.msg)
			}
		})
	}
}

func TestLoadPricing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prices.yaml")
	if err := os.WriteFile(path, []byte(validHead+"bogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := LoadPricing(path)
	if want := "pricing " + path + " line 4 column 1: bogus: unknown field"; err == nil || err.Error() != want {
		t.Errorf("err = %v, want %s", err, want)
	}
	if _, err := LoadPricing(filepath.Join(t.TempDir(), "none.yaml")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("missing file: %v", err)
	}
}

func TestPricingValidateInCode(t *testing.T) {
	p := mustTestPricing(t)
	p.Instances["m5.2xlarge"] = Instance{VCPU: 8, MemoryGiB: 32, OnDemand: math.Inf(1)}
	err := p.Validate()
	if pe, ok := errors.AsType[*PricingError](err); !ok || pe.Field != "instances.m5.2xlarge.onDemand" || pe.Line != 0 {
		t.Errorf("Validate: %v", err)
	}
}

// FuzzParsePricing: any input is parsed or refused with a *PricingError on
// a line of the input, never a panic; what parses is valid and splits each
// instance's price into unit prices that add back up to it.
func FuzzParsePricing(f *testing.F) {
	// Small seeds only: the fuzzer minimizes every new input, and a seed
	// the size of the default file (10 kB) keeps it minimizing for minutes.
	f.Add([]byte(testPricingYAML))
	f.Add([]byte(validHead + "uplift: {enabled: true, perVCPUHour: 0.01012, perGBHour: 0.00111125}\n"))
	f.Add([]byte(validHead + "instances:\n  a: {vcpu: 1e308, memoryGiB: 1e308, onDemand: 1e308}\n"))
	f.Add([]byte("a: &a [*a, *a]\n"))
	f.Add([]byte("currency: USD\n---\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePricing(data)
		if err != nil {
			pe, ok := errors.AsType[*PricingError](err)
			if !ok {
				t.Fatalf("not a *PricingError: %v", err)
			}
			if lines := lineCount(data) + 1; pe.Line < 0 || pe.Line > lines {
				t.Fatalf("line %d outside the input's %d lines: %v", pe.Line, lines, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("parsed but invalid: %v", err)
		}
		for name, in := range p.Instances {
			for _, ct := range []CapacityType{OnDemand, Spot} {
				u := p.UnitPrice(name, ct)
				hourly, _ := p.hourly(in, ct)
				sum := u.CPU*in.VCPU + u.Memory*in.MemoryGiB
				if math.IsNaN(sum) || u.CPU < 0 || u.Memory < 0 || (!math.IsInf(sum, 0) && math.Abs(sum-hourly) > 1e-9*math.Max(1, hourly)) {
					t.Fatalf("%s %s: unit prices %+v add up to %v, not %v", name, ct, u, sum, hourly)
				}
			}
		}
	})
}
