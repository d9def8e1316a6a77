// Package postgres is the Store on a PostgreSQL server, for running
// several sparkplane servers on one database. The store itself is
// sqlstore's, through pgx's database/sql driver; this package opens the
// pool and says how PostgreSQL's SQL differs (its Dialect): $n
// placeholders, row locks (FOR SHARE, FOR UPDATE) and advisory locks where
// SQLite's single writer made a read-then-write safe, and its own
// migrations (migrations/NNNN_*.sql, embedded, append-only), applied under
// a session advisory lock.
package postgres

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// dialect is PostgreSQL's. Transactions run at READ COMMITTED; leases are
// timed by the server's clock, so the sparkplane servers' need not agree.
var dialect = &sqlstore.Dialect{
	Numbered:        true,
	ForShare:        " FOR SHARE",
	ForUpdate:       " FOR UPDATE",
	AdvisoryLock:    "SELECT pg_advisory_xact_lock(?)",
	MigrationLock:   "SELECT pg_advisory_lock(?)",
	MigrationUnlock: "SELECT pg_advisory_unlock(?)",
	Now:             "now()",
	Later:           "now() + ? * interval '1 millisecond'",
	IsUniqueViolation: func(err error) bool {
		var pe *pgconn.PgError
		return errors.As(err, &pe) && pe.Code == "23505"
	},
	TokenArg:   func(token string) any { return []byte(token) }, // text holds no NUL
	IndexedBy:  func(string) string { return "" },
	Snapshot:   &sql.TxOptions{Isolation: sql.LevelRepeatableRead, ReadOnly: true},
	Migrations: migrations,
}

// defaultMaxConns is the size of the pool unless the URL's pool_max_conns
// says otherwise.
const defaultMaxConns = 20

// DB is a Store on a PostgreSQL database, through a pool of connections.
type DB struct {
	*sqlstore.DB
}

var _ store.Store = (*DB)(nil)

// Open connects to the database at url (postgres://user:pass@host:port/db?…,
// with pgx's pool_max_conns and the like), migrates it and returns the store.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err) // pgx leaves the password out
	}
	if !strings.Contains(url, "pool_max_conns") {
		// pgx's default (the number of CPUs, at least 4) starves a server
		// whose API and controller share the pool under load.
		cfg.MaxConns = defaultMaxConns
	}
	pool := stdlib.OpenDB(*cfg.ConnConfig)
	pool.SetMaxOpenConns(int(cfg.MaxConns))
	pool.SetMaxIdleConns(int(cfg.MaxConns))
	pool.SetConnMaxLifetime(cfg.MaxConnLifetime)
	pool.SetConnMaxIdleTime(cfg.MaxConnIdleTime)
	s, err := sqlstore.New(ctx, pool, pool, dialect)
	if err != nil {
		return nil, errors.Join(err, pool.Close())
	}
	return &DB{s}, nil
}
