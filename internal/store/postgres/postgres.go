// Package postgres is the Store on a PostgreSQL server (through pgx), for
// running several sparkplane servers on one database. It keeps the schema,
// the error contract, the page tokens and the tag columns of the embedded
// SQLite store; its own migrations (migrations/NNNN_*.sql, embedded,
// append-only) are applied in order under an advisory lock, each in its own
// transaction, and recorded in schema_migrations.
//
// Transactions run at READ COMMITTED. Where SQLite's single writer made a
// read-then-write safe, this store takes a row lock (SELECT … FOR SHARE or
// FOR UPDATE) or, for clientToken replays, a transaction-scoped advisory lock
// on the token, so concurrent requests behave as they do on SQLite.
package postgres

import (
	"context"
	"crypto/rand"
	"embed"
	"errors"
	"fmt"
	"hash/fnv"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/sparkplane/sparkplane/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a Store on a PostgreSQL database, through a pool of connections.
type DB struct {
	pool   *pgxpool.Pool
	tokens *store.PageTokens // seals the nextTokens of listings
}

var _ store.Store = (*DB)(nil)

// migrationLock is the advisory lock key that servers migrating one database
// at once take turns on.
const migrationLock = 0x73706b706c616e65 // "spkplane"

// Open connects to the database at url (postgres://user:pass@host:port/db?…,
// with pgx's pool_max_conns and the like), migrates it and returns the store.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err) // pgx leaves the password out
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("open store: %w", err)
	}
	db := &DB{pool: pool}
	if err := db.migrate(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	key, err := db.pageTokenKey(ctx)
	if err != nil {
		pool.Close()
		return nil, fmt.Errorf("open store: page token key: %w", err)
	}
	db.tokens = store.NewPageTokens(key)
	if _, err := db.RollUpUsage(ctx); err != nil { // records written before the rollups existed
		pool.Close()
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// Close closes every connection of the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations whose versions the database has not recorded: all of them,
// not only those above the highest recorded, so a migration that lands
// after a higher-numbered one (work merged in another order) still runs.
// The session holds an advisory lock meanwhile, so servers that start
// together on a new database apply each migration once. Migrations are
// append-only: a shipped file is never edited.
func (db *DB) migrate(ctx context.Context) error {
	conn, err := db.pool.Acquire(ctx)
	if err != nil {
		return err
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrationLock)); err != nil {
		return err
	}
	defer func() {
		if _, err := conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrationLock)); err != nil {
			_ = conn.Conn().Close(context.WithoutCancel(ctx)) // closing the session frees its locks
		}
	}()
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	if err := db.checkSchema(ctx, names); err != nil {
		return err
	}
	for _, name := range names {
		version, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			var applied bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = $1)`, version).Scan(&applied); err != nil {
				return err
			}
			if applied {
				return nil
			}
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations (version) VALUES ($1)`, version)
			return err
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// checkSchema refuses a database a newer sparkplane has migrated.
func (db *DB) checkSchema(ctx context.Context, names []string) error {
	rows, err := db.pool.Query(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return err
	}
	applied, err := pgx.CollectRows(rows, pgx.RowTo[int32])
	if err != nil {
		return err
	}
	versions := make([]int, len(applied))
	for i, v := range applied {
		versions[i] = int(v)
	}
	return store.CheckSchema(versions, store.MigrationVersions(names))
}

// pageTokenKey returns the database's page-token key, making it the first
// time (servers racing here all read the one that was stored).
func (db *DB) pageTokenKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	if _, err := db.pool.Exec(ctx, `INSERT INTO secrets (name, value) VALUES ('page-token-key', $1) ON CONFLICT (name) DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	var key []byte
	if err := db.pool.QueryRow(ctx, `SELECT value FROM secrets WHERE name = 'page-token-key'`).Scan(&key); err != nil {
		return nil, err
	}
	return key, nil
}

// tx runs fn in a transaction, committing if it returns nil.
func (db *DB) tx(ctx context.Context, fn func(pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, db.pool, fn)
}

// querier is the pool or a transaction.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

func isUniqueViolation(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && pe.Code == "23505"
}

// lockToken serialises, until tx ends, the requests that carry one
// clientToken in one scope: the first creates, the others then replay.
func lockToken(ctx context.Context, tx pgx.Tx, idem store.Idempotency) error {
	if idem.Token == "" {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(idem.Scope))
	h.Write([]byte{0})
	h.Write([]byte(idem.Token))
	_, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock($1)`, int64(h.Sum64()))
	return err
}
