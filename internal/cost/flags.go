package cost

import (
	"fmt"
	"strings"
)

// Flags mark how a row's cost was reached, so a reader knows which figures
// rest on estimates.
type Flags uint8

// Flags; a group carries the union of its records' flags.
const (
	// FlagFallbackPrice: priced with the fallback per-vCPU-hour and
	// per-GiB-hour prices because the instance type was empty or not in the
	// pricing (or a Fargate pod while the pricing has no Fargate rates).
	FlagFallbackPrice Flags = 1 << iota
	// FlagSpotEstimate: a spot price estimated as on-demand × spotFraction.
	FlagSpotEstimate
	// FlagRunning: a pod (or node) still running, metered up to now.
	FlagRunning
	// FlagUsageAboveRequest: measured usage above the request, charged for
	// the usage.
	FlagUsageAboveRequest
	// FlagOverallocated: an idle row whose node was charged to pods for
	// more than it costs; its idle cost is clamped to zero.
	FlagOverallocated
)

var flagNames = []string{"fallback-price", "spot-estimate", "running", "usage-above-request", "overallocated"}

// Names lists the set flags by name, in a fixed order.
func (f Flags) Names() []string {
	var names []string
	for i, n := range flagNames {
		if f&(1<<i) != 0 {
			names = append(names, n)
		}
	}
	return names
}

// String joins the names with commas ("" for none).
func (f Flags) String() string { return strings.Join(f.Names(), ",") }

// ParseFlags reads what String wrote.
func ParseFlags(s string) (Flags, error) {
	var f Flags
	if s == "" {
		return 0, nil
	}
next:
	for n := range strings.SplitSeq(s, ",") {
		for i, name := range flagNames {
			if n == name {
				f |= 1 << i
				continue next
			}
		}
		return 0, fmt.Errorf("unknown flag %q", n)
	}
	return f, nil
}
