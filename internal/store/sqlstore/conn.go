package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"iter"
	"strings"

	"github.com/sparkplane/sparkplane/internal/store"
)

// querier is what *sql.DB, *sql.Conn and *sql.Tx share.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// conn runs SQL written with ? placeholders on a pool, connection or
// transaction, in the placeholders of its dialect: through the pool's
// prepared statements when it has a cache (tx is the transaction, if any,
// that runs them).
type conn struct {
	q     querier
	d     *Dialect
	cache *stmtCache
	tx    *sql.Tx
}

// stmt returns the prepared statement of query for this conn, or nil.
func (c conn) stmt(ctx context.Context, query string) *sql.Stmt {
	s := c.cache.get(ctx, query, c.tx != nil)
	if s != nil && c.tx != nil {
		s = c.tx.StmtContext(ctx, s) // closed with the transaction
	}
	return s
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	query = c.d.bind(query)
	if s := c.stmt(ctx, query); s != nil {
		return s.ExecContext(ctx, args...)
	}
	return c.q.ExecContext(ctx, query, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	query = c.d.bind(query)
	if s := c.stmt(ctx, query); s != nil {
		return s.QueryContext(ctx, args...)
	}
	return c.q.QueryContext(ctx, query, args...)
}

func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	query = c.d.bind(query)
	if s := c.stmt(ctx, query); s != nil {
		return s.QueryRowContext(ctx, args...)
	}
	return c.q.QueryRowContext(ctx, query, args...)
}

// execOne runs a statement that must change exactly one row; failed is the
// error (wrapped) when it changes none.
func (c conn) execOne(ctx context.Context, failed error, query string, args ...any) error {
	res, err := c.exec(ctx, query, args...)
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return failed
	}
	return nil
}

// lock takes, until the transaction ends, the advisory lock key (on
// engines that need one; SQLite's single writer already serialises).
func (c conn) lock(ctx context.Context, key int64) error {
	if c.d.AdvisoryLock == "" {
		return nil
	}
	_, err := c.exec(ctx, c.d.AdvisoryLock, key)
	return err
}

// collect reads every row of a query with scan:
// collect(scan)(c.query(ctx, …)).
func collect[T any](scan func(*sql.Rows) (T, error)) func(*sql.Rows, error) ([]T, error) {
	return func(rows *sql.Rows, err error) ([]T, error) {
		if err != nil {
			return nil, err
		}
		defer rows.Close()
		var out []T
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, rows.Err()
	}
}

// stream is the rows of a query as scan reads them, read as the sequence is
// ranged over; a failure ends it with its error (reading what).
func stream[T any](ctx context.Context, c conn, what string, scan func(*sql.Rows) (T, error),
	query string, args ...any) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		var zero T
		rows, err := c.query(ctx, query, args...)
		if err != nil {
			yield(zero, fmt.Errorf("read %s: %w", what, err))
			return
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scan(rows)
			if err != nil {
				yield(zero, fmt.Errorf("read %s: %w", what, err))
				return
			}
			if !yield(v, nil) {
				return
			}
		}
		if err := rows.Err(); err != nil {
			yield(zero, fmt.Errorf("read %s: %w", what, err))
		}
	}
}

// scanOne reads a single value of each row.
func scanOne[T any](rows *sql.Rows) (T, error) {
	var v T
	return v, rows.Scan(&v)
}

// notFound turns sql.ErrNoRows into store.ErrNotFound.
func notFound(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return store.ErrNotFound
	}
	return err
}

// marks is n placeholders, "?, ?, …".
func marks(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// args turns a slice of strings (or string kinds) into query arguments.
func args[S ~string](values []S) []any {
	out := make([]any, len(values))
	for i, v := range values {
		out[i] = string(v)
	}
	return out
}

// where accumulates the conditions and arguments of a query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

// in matches column against any of values; no values match all.
func (w *where) in(column string, values []any) {
	if len(values) > 0 {
		w.add(column+" IN ("+marks(len(values))+")", values...)
	}
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

func wrap(err error, format string, a ...any) error {
	if err == nil {
		return nil
	}
	return fmt.Errorf(format+": %w", append(a, err)...)
}
