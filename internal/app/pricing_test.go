package app

import (
	"errors"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/cost"
)

// A malformed pricing file stops the server with the line and field at
// fault; no file means the built-in defaults.
func TestLoadPricing(t *testing.T) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	cfg := config.Default()
	p, err := loadPricing(cfg, log)
	if err != nil || p.Fallback != cost.DefaultPricing().Fallback {
		t.Fatalf("loadPricing(no file) = %+v, %v, want the defaults", p, err)
	}
	cfg.Pricing = filepath.Join(t.TempDir(), "pricing.yaml")
	bad := "currency: USD\nspotFraction: 0.3\nfallback:\n  perVCPUHour: -1\n  perGiBHour: 0.004\n"
	if err := os.WriteFile(cfg.Pricing, []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = loadPricing(cfg, log)
	var pe *cost.PricingError
	if !errors.As(err, &pe) || pe.Line != 4 || !strings.Contains(err.Error(), "perVCPUHour") {
		t.Fatalf("loadPricing(bad file) error = %v, want a *cost.PricingError at line 4 naming perVCPUHour", err)
	}
}
