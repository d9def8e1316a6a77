package app

import (
	"fmt"
	"log/slog"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/cost"
)

// loadPricing reads the pricing file of cfg, or returns the built-in
// defaults. A malformed file stops the server: its error names the file,
// line and field at fault.
func loadPricing(cfg config.Config, log *slog.Logger) (*cost.Pricing, error) {
	p := cost.DefaultPricing()
	if cfg.Pricing != "" {
		var err error
		if p, err = cost.LoadPricing(cfg.Pricing); err != nil {
			return nil, fmt.Errorf("config pricing: %w", err)
		}
	}
	if it := cfg.Local.InstanceType; it != "" {
		if _, ok := p.Instances[it]; !ok {
			log.Warn("local.instanceType is not in the pricing: local runs get the fallback prices, flagged", "instanceType", it)
		}
	}
	return p, nil
}
