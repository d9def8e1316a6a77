// Package sqlstore is store.Store written once over database/sql, for the
// engines sparkplane supports: SQLite (package sqlite) and PostgreSQL
// (package postgres). An engine's package opens its connections and hands
// them to New with its Dialect: how it numbers placeholders, which locking
// clauses it has, how it reports a unique violation, and its embedded
// migrations. The SQL here is written with ? placeholders in the subset the
// two engines share.
//
// Concurrency: on SQLite every write goes through one connection with
// immediate transactions, so a read-then-write in a transaction is safe as
// it is. PostgreSQL runs at READ COMMITTED; where a read must hold until the
// write, the query takes the Dialect's row lock (FOR SHARE or FOR UPDATE,
// empty on SQLite) or a transaction-scoped advisory lock (AdvisoryLock).
package sqlstore

import (
	"context"
	"crypto/rand"
	"database/sql"
	"errors"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/store"
)

// DB is a store.Store on a SQL database.
type DB struct {
	read  *sql.DB // the pool that reads outside transactions
	write *sql.DB // the pool that writes (on SQLite, one connection)
	d     *Dialect
	// readStmts and writeStmts are the pools' prepared statements, when
	// the dialect caches them.
	readStmts, writeStmts *stmtCache
	tokens                *store.PageTokens // seals the nextTokens of listings
}

var _ store.Store = (*DB)(nil)

// New migrates the database behind write and returns the store on it,
// reading through read (which may be write). It closes neither on error.
func New(ctx context.Context, read, write *sql.DB, d *Dialect) (*DB, error) {
	db := &DB{read: read, write: write, d: d}
	if d.CacheStatements {
		db.readStmts, db.writeStmts = newStmtCache(read), newStmtCache(write)
	}
	if err := db.migrate(ctx); err != nil {
		return nil, fmt.Errorf("migrate store: %w", err)
	}
	key, err := db.pageTokenKey(ctx)
	if err != nil {
		return nil, fmt.Errorf("open store: page token key: %w", err)
	}
	db.tokens = store.NewPageTokens(key)
	if _, err := db.RollUpUsage(ctx); err != nil { // records written before the rollups existed
		return nil, fmt.Errorf("open store: %w", err)
	}
	return db, nil
}

// Close closes the database's pools.
func (db *DB) Close() error {
	db.readStmts.close()
	db.writeStmts.close()
	if db.read == db.write {
		return db.write.Close()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// Writer is the pool that writes, for the engine's own maintenance (such
// as SQLite's checkpoints).
func (db *DB) Writer() *sql.DB { return db.write }

// pageTokenKey returns the database's page-token key, making it the first
// time (servers racing here all read the one that was stored).
func (db *DB) pageTokenKey(ctx context.Context) ([]byte, error) {
	fresh := make([]byte, 32)
	if _, err := rand.Read(fresh); err != nil {
		return nil, err
	}
	w := db.writer()
	if _, err := w.exec(ctx, `INSERT INTO secrets (name, value) VALUES ('page-token-key', ?) ON CONFLICT (name) DO NOTHING`, fresh); err != nil {
		return nil, err
	}
	var key []byte
	err := w.row(ctx, `SELECT value FROM secrets WHERE name = 'page-token-key'`).Scan(&key)
	return key, err
}

// tx runs fn in a write transaction, committing if it returns nil.
func (db *DB) tx(ctx context.Context, fn func(c conn) error) error {
	tx, err := db.write.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer db.writeStmts.prepareMet(context.WithoutCancel(ctx)) // after the rollback: the connection is free
	defer tx.Rollback()                                        //nolint:errcheck // no-op after Commit
	if err := fn(conn{q: tx, d: db.d, cache: db.writeStmts, tx: tx}); err != nil {
		return err
	}
	return tx.Commit()
}

func (db *DB) reader() conn { return conn{q: db.read, d: db.d, cache: db.readStmts} }
func (db *DB) writer() conn { return conn{q: db.write, d: db.d, cache: db.writeStmts} }
