package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

// table is a resource table: virtual clusters, job runs, job templates,
// security configurations and managed endpoints all keep a row of (id, its
// virtual cluster's id where it has one, name, state, created_at, doc: the
// resource as JSON, tags: a JSON object) plus the columns their queries
// filter on. Reading one is the same for all: select fields (the doc, the
// tags and the cancel request, or constants where a table has no such
// column) and decode them.
type table[T any] struct {
	name   string // the SQL table
	fields string // the SQL of doc, tags and cancel_requested_at
	decode func(r *row) (T, error)
}

// row is what a table's fields hold.
type row struct {
	doc    []byte
	tags   string
	cancel sql.NullInt64 // unix milliseconds
}

type scanner interface{ Scan(dest ...any) error }

// scan reads first (when a query selects more before the fields), then
// the fields, and decodes them.
func (t *table[T]) scan(s scanner, first ...any) (T, error) {
	v, _, err := t.scanSized(s, first...)
	return v, err
}

// scanSized is scan that also returns the size of the row's document and
// tags, what the item weighs in a page.
func (t *table[T]) scanSized(s scanner, first ...any) (T, int, error) {
	var r row
	if err := s.Scan(append(first, &r.doc, &r.tags, &r.cancel)...); err != nil {
		var zero T
		return zero, 0, err
	}
	v, err := t.decode(&r)
	return v, len(r.doc) + len(r.tags), err
}

// get reads the row that cond picks (then lock: "" or a locking clause);
// store.ErrNotFound when there is none.
func (t *table[T]) get(ctx context.Context, c conn, lock, cond string, args ...any) (T, error) {
	v, err := t.scan(c.row(ctx, `SELECT `+t.fields+` FROM `+t.name+` WHERE `+cond+lock, args...))
	return v, notFound(err)
}

// all reads the rows of `SELECT fields FROM table` + rest.
func (t *table[T]) all(ctx context.Context, c conn, rest string, args ...any) ([]T, error) {
	return collect(func(rows *sql.Rows) (T, error) { return t.scan(rows) })(
		c.query(ctx, `SELECT `+t.fields+` FROM `+t.name+rest, args...))
}

// list reads a page of a listing of scope (the store.XFilter.Scope() of
// its query), w its conditions: newest first (by created_at, then id), at
// most p.Limit after the cursor of p.Token, and no more once their
// documents pass p.MaxBytes. The next page token points after the last one
// returned, "" when it is the last.
func (t *table[T]) list(ctx context.Context, db *DB, scope string, w *where, p store.Page) ([]T, string, error) {
	if p.Token != "" {
		raw, err := db.tokens.Open(scope, p.Token)
		if err != nil {
			return nil, "", err
		}
		cur, err := store.ParseCursor(raw)
		if err != nil {
			return nil, "", err
		}
		w.add("(created_at, id) < (?, ?)", cur.CreatedAt, cur.ID)
	}
	limit := ""
	if p.Limit > 0 {
		limit = " LIMIT " + strconv.Itoa(p.Limit+1) // one more: is there a next page?
	}
	rows, err := db.reader().query(ctx, `SELECT created_at, id, `+t.fields+` FROM `+t.name+w.String()+
		` ORDER BY created_at DESC, id DESC`+limit, w.args...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var (
		out   []T
		last  store.Cursor
		bytes int
	)
	for rows.Next() {
		if p.Limit > 0 && len(out) == p.Limit { // there is a next page
			return out, db.tokens.Seal(scope, last.Bytes()), rows.Err()
		}
		var c store.Cursor
		v, size, err := t.scanSized(rows, &c.CreatedAt, &c.ID)
		if err != nil {
			return nil, "", err
		}
		if p.MaxBytes > 0 && len(out) > 0 && bytes+size > p.MaxBytes { // full by size
			return out, db.tokens.Seal(scope, last.Bytes()), rows.Err()
		}
		out, last, bytes = append(out, v), c, bytes+size
	}
	return out, "", rows.Err()
}

// create runs a create request for a what in one transaction: when idem
// names an earlier request with the same hash, it returns what that one
// created (read by get); otherwise insert writes created, whose id is id,
// the request is remembered and created returned.
func create[T any](ctx context.Context, db *DB, what string, idem store.Idempotency, created T, id string,
	get func(c conn, id string) (T, error), insert func(c conn) error) (T, error) {
	out := created
	err := db.tx(ctx, func(c conn) error {
		prev, err := replayed(ctx, c, idem)
		if err != nil {
			return err
		}
		if prev != "" {
			out, err = get(c, prev)
			return wrap(err, "%s, created with this token", prev)
		}
		if err := insert(c); err != nil {
			return err
		}
		return remember(ctx, c, idem, id)
	})
	if err != nil {
		var zero T
		return zero, fmt.Errorf("create %s: %w", what, err)
	}
	return out, nil
}

// execUnique runs an INSERT or UPDATE; conflict when it violates a unique
// constraint.
func (c conn) execUnique(ctx context.Context, conflict error, query string, args ...any) error {
	_, err := c.exec(ctx, query, args...)
	if err != nil && c.d.IsUniqueViolation(err) {
		return conflict
	}
	return err
}

// created adds the createdAfter/createdBefore conditions of a listing.
func (w *where) created(after, before time.Time) {
	if !after.IsZero() {
		w.add("created_at >= ?", after.UnixMilli())
	}
	if !before.IsZero() {
		w.add("created_at <= ?", before.UnixMilli())
	}
}
