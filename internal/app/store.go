package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

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
	path := filepath.Join(cfg.DataDir, "sparkplane.db")
	lock, err := lockSQLite(path)
	if err != nil {
		return nil, err
	}
	st, err := sqlite.Open(ctx, path)
	if err != nil {
		lock.Close()
		return nil, err
	}
	return lockedStore{DB: st, lock: lock}, nil
}

// lockSQLite takes the lock that keeps a second server off a SQLite store:
// with SQLite one server drives every run and takes no leases. The kernel
// frees the lock when the process ends, however it ends.
func lockSQLite(path string) (*os.File, error) {
	f, err := os.OpenFile(path+".lock", os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock store %s: %w", path, err)
	}
	if err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, unix.EWOULDBLOCK) {
			return nil, fmt.Errorf("another sparkplane server uses the store %s: stop it, or give this one another --data-dir (several servers share a PostgreSQL store, not a SQLite file)", path)
		}
		return nil, fmt.Errorf("lock store %s: %w", path, err)
	}
	return f, nil
}

// lockedStore is a SQLite store with its lock, freed when it closes.
type lockedStore struct {
	*sqlite.DB
	lock *os.File
}

func (s lockedStore) Close() error {
	defer s.lock.Close()
	return s.DB.Close()
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
