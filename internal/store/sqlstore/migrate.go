package sqlstore

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/store"
)

// migrationLock is the key of the session lock that servers migrating one
// database at once take turns on.
const migrationLock = 0x73706b706c616e65 // "spkplane"

// migrate applies, in order and each in its own transaction, the dialect's
// migrations whose versions the database has not recorded: all of them,
// not only those above the highest recorded, so a migration that lands
// after a higher-numbered one (work merged in another order) still runs.
// The record is read inside each transaction, which the migration lock (or,
// on SQLite, the immediate transaction itself) makes exclusive, so servers
// that open a new database together apply every migration once.
// Migrations are append-only: a shipped file is never edited.
func (db *DB) migrate(ctx context.Context) error {
	sc, err := db.write.Conn(ctx)
	if err != nil {
		return err
	}
	defer sc.Close()
	c := conn{q: sc, d: db.d}
	if db.d.MigrationLock != "" {
		if _, err := c.exec(ctx, db.d.MigrationLock, int64(migrationLock)); err != nil {
			return err
		}
		defer func() {
			if _, err := c.exec(context.WithoutCancel(ctx), db.d.MigrationUnlock, int64(migrationLock)); err != nil {
				_ = sc.Raw(func(any) error { return driver.ErrBadConn }) // a broken session frees its locks
			}
		}()
	}
	if _, err := c.exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY)`); err != nil {
		return err
	}
	names, err := fs.Glob(db.d.Migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	applied, err := collect(scanOne[int])(c.query(ctx, `SELECT version FROM schema_migrations`))
	if err != nil {
		return err
	}
	if err := store.CheckSchema(applied, store.MigrationVersions(names)); err != nil {
		return err
	}
	for _, name := range names {
		if err := db.migrateOne(ctx, sc, name); err != nil {
			return err
		}
	}
	return nil
}

// migrateOne applies one migration file unless it has been.
func (db *DB) migrateOne(ctx context.Context, sc *sql.Conn, name string) error {
	version, err := strconv.Atoi(strings.SplitN(path.Base(name), "_", 2)[0])
	if err != nil {
		return fmt.Errorf("migration %s: name must start with a number", name)
	}
	body, err := fs.ReadFile(db.d.Migrations, name)
	if err != nil {
		return err
	}
	tx, err := sc.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback() //nolint:errcheck // no-op after Commit
	c := conn{q: tx, d: db.d}
	var applied bool
	if err := c.row(ctx, `SELECT EXISTS (SELECT 1 FROM schema_migrations WHERE version = ?)`, version).Scan(&applied); err != nil {
		return err
	}
	if applied {
		return nil
	}
	if _, err := tx.ExecContext(ctx, string(body)); err != nil {
		return fmt.Errorf("migration %s: %w", name, err)
	}
	if _, err := c.exec(ctx, `INSERT INTO schema_migrations (version) VALUES (?)`, version); err != nil {
		return err
	}
	return tx.Commit()
}
