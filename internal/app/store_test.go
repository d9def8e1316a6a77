package app

import (
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/config"
)

// A second server on the same SQLite store is refused while the first
// has it open, and welcome once it closed it.
func TestSQLiteStoreHasOneServer(t *testing.T) {
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	first, err := openStore(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := openStore(t.Context(), cfg); err == nil || !strings.Contains(err.Error(), "another sparkplane server uses the store") {
		t.Fatalf("second openStore() error = %v, want the store in use", err)
	}
	if _, ok := first.(rollerUp); !ok {
		t.Error("the locked SQLite store lost its RollUpUsage")
	}
	if err := first.Close(); err != nil {
		t.Fatal(err)
	}
	again, err := openStore(t.Context(), cfg)
	if err != nil {
		t.Fatalf("openStore() after the first closed: %v", err)
	}
	again.Close()
}
