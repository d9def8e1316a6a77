// Package sqlite is the embedded Store: one SQLite file in WAL mode through a
// pure-Go driver (no cgo), with its schema migrations embedded in the binary.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sparkplane/sparkplane/internal/store"
)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is a Store on one SQLite file. Writes go through a single connection
// (SQLite has one writer at a time; queuing in Go is cheaper than busy
// retries), reads through a pool.
type DB struct {
	write  *sql.DB
	read   *sql.DB
	stmt   *statements
	tokens *store.PageTokens // seals the nextTokens of listings
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed) the database at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(ON)"} {
		q.Add("_pragma", p)
	}
	// The DSN is an SQLite URI: escape the path so that '#', '?' and '%' in a
	// folder or file name are not read as a fragment, a query or an escape.
	dsn := "file:" + (&url.URL{Path: filepath.ToSlash(abs)}).EscapedPath() + "?" + q.Encode()
	write, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	write.SetMaxOpenConns(1)
	db := &DB{write: write}
	if err := db.migrate(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("migrate store %s: %w", path, err)
	}
	var key []byte
	if err := write.QueryRowContext(ctx, `SELECT value FROM secrets WHERE name = 'page-token-key'`).Scan(&key); err != nil {
		write.Close()
		return nil, fmt.Errorf("open store %s: read the page token key: %w", path, err)
	}
	db.tokens = store.NewPageTokens(key)
	read, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	read.SetMaxOpenConns(8)
	db.read = read
	if db.stmt, err = prepare(ctx, write, read); err != nil {
		db.Close()
		return nil, err
	}
	if _, err := db.RollUpUsage(ctx); err != nil { // records written before the rollups existed
		db.Close()
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	return db, nil
}

// Close closes the database.
func (db *DB) Close() error {
	return errors.Join(db.read.Close(), db.write.Close())
}

// migrate applies, in order and each in its own transaction, the embedded
// migrations whose versions the database has not recorded: all of them,
// not only those above the highest recorded, so a migration that lands
// after a higher-numbered one (work merged in another order) still runs.
// The record is read inside each (immediate, so exclusive) transaction, so
// servers that open a new file together apply every migration once.
// Migrations are append-only: a shipped file is never edited.
func (db *DB) migrate(ctx context.Context) error {
	if _, err := db.write.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
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
		version, err := strconv.Atoi(strings.SplitN(filepath.Base(name), "_", 2)[0])
		if err != nil {
			return fmt.Errorf("migration %s: name must start with a number", name)
		}
		body, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if err := db.tx(ctx, func(tx *sql.Tx) error {
			var applied bool
			if err := tx.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, version).Scan(&applied); err != nil {
				return err
			}
			if applied {
				return nil
			}
			if _, err := tx.ExecContext(ctx, string(body)); err != nil {
				return fmt.Errorf("migration %s: %w", name, err)
			}
			_, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version)
			return err
		}); err != nil {
			return err
		}
	}
	return nil
}

// checkSchema refuses a database a newer sparkplane has migrated.
func (db *DB) checkSchema(ctx context.Context, names []string) error {
	rows, err := db.write.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var applied []int
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			return err
		}
		applied = append(applied, v)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return store.CheckSchema(applied, store.MigrationVersions(names))
}

// tx runs fn in a write transaction, committing if it returns nil.
func (db *DB) tx(ctx context.Context, fn func(*sql.Tx) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit()
}
