// Package sqlite is the embedded Store: one SQLite file in WAL mode through
// a pure-Go driver (no cgo), with its schema migrations embedded in the
// binary. The store itself is sqlstore's; this package opens the file, says
// how SQLite's SQL differs (its Dialect) and keeps the WAL bounded
// (checkpoint.go).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// dialect is SQLite's: ? placeholders, no row locks (one connection
// writes, in immediate transactions), no advisory locks, leases timed by
// the machine's clock in unix milliseconds.
var dialect = &sqlstore.Dialect{
	Now:   "CAST(unixepoch('subsec') * 1000 AS INTEGER)",
	Later: "CAST(unixepoch('subsec') * 1000 AS INTEGER) + ?",
	IsUniqueViolation: func(err error) bool {
		return strings.Contains(err.Error(), "UNIQUE constraint failed")
	},
	TokenArg:        func(token string) any { return token },
	IndexedBy:       func(index string) string { return " INDEXED BY " + index },
	CacheStatements: true,
	Migrations:      migrations,
}

// DB is a Store on one SQLite file. Writes go through a single connection
// (SQLite has one writer at a time; queuing in Go is cheaper than busy
// retries), reads through a pool.
type DB struct {
	*sqlstore.DB
	wal  string // the path of the write-ahead log
	stop func() // stops the checkpoints and waits for them
}

var _ store.Store = (*DB)(nil)

// Open opens (creating if needed, readable by its owner only) the database
// at path and migrates it.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	if f, err := os.OpenFile(abs, os.O_RDWR|os.O_CREATE, 0o600); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	} else if err := f.Close(); err != nil {
		return nil, fmt.Errorf("open store %s: %w", path, err)
	}
	q := url.Values{}
	for _, p := range []string{"journal_mode(WAL)", "busy_timeout(10000)", "synchronous(NORMAL)", "foreign_keys(ON)",
		fmt.Sprintf("journal_size_limit(%d)", walLimit)} {
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
	read, err := sql.Open("sqlite", dsn+"&mode=ro")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open store %s: %w", path, err), write.Close())
	}
	read.SetMaxOpenConns(8)
	s, err := sqlstore.New(ctx, read, write, dialect)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("open store %s: %w", path, err), read.Close(), write.Close())
	}
	db := &DB{DB: s, wal: abs + "-wal"}
	db.stop = db.startCheckpoints()
	return db, nil
}

// Close stops the checkpoints and closes the database.
func (db *DB) Close() error {
	db.stop()
	return db.DB.Close()
}
