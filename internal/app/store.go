package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/postgres"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// openStore opens the store cfg.Store selects: the embedded SQLite file in
// the data dir, or a PostgreSQL database.
func openStore(ctx context.Context, cfg config.Config) (store.Store, error) {
	kind, err := cfg.StoreKind()
	if err != nil {
		return nil, err
	}
	if kind == config.StorePostgres {
		st, err := postgres.Open(ctx, cfg.Store)
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", config.StoreRedacted(cfg.Store), err)
		}
		return st, nil
	}
	return sqlite.Open(ctx, filepath.Join(cfg.DataDir, "sparkplane.db"))
}

// StoreName says where the state is, without any password.
func (a *App) StoreName() string {
	if a.Config.Store == "" {
		return filepath.Join(a.Config.DataDir, "sparkplane.db")
	}
	return config.StoreRedacted(a.Config.Store)
}

// newServerID names this server among those sharing a store: the host,
// the process and a random part, so that no two servers, even on one host,
// ever share an id (and so the leases of job runs).
func newServerID() string {
	host, err := os.Hostname()
	if err != nil || host == "" {
		host = "sparkplane"
	}
	b := make([]byte, 4)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}
