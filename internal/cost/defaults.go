package cost

import (
	_ "embed"
	"fmt"
)

// defaultPricing is the pricing shipped in the binary; its header comment
// gives the source and date of every price.
//
//go:embed default_pricing.yaml
var defaultPricing []byte

// DefaultPricingFile is the shipped pricing file (AWS us-east-1, USD), to
// copy and edit.
func DefaultPricingFile() []byte { return append([]byte(nil), defaultPricing...) }

// DefaultPricing parses the shipped pricing file.
func DefaultPricing() *Pricing {
	p, err := ParsePricing(defaultPricing)
	if err != nil {
		panic(fmt.Sprintf("cost: the embedded default pricing is invalid: %v", err))
	}
	return p
}
