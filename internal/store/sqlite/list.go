package sqlite

import (
	"context"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

// list runs a listing of scope (the store.XFilter.Scope() of its query): selectFrom is `SELECT created_at, doc, <tags> FROM
// <table>` (<tags> the tags column, or '{}' for a table without one), w its
// conditions. Rows come newest first and are decoded by decode; the next
// page token points after the last one returned.
func list[T any](ctx context.Context, db *DB, scope, selectFrom string, w *where, p store.Page,
	decode func(doc []byte, tags string) (T, error), id func(T) string) ([]T, string, error) {
	limit, err := w.page(db.tokens, scope, p)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.read.QueryContext(ctx, selectFrom+w.String()+` ORDER BY created_at DESC, id DESC LIMIT ?`, append(w.args, limit)...)
	if err != nil {
		return nil, "", err
	}
	defer rows.Close()
	var (
		out  []T
		last store.Cursor
	)
	for rows.Next() {
		var (
			created int64
			doc     []byte
			tags    string
		)
		if err := rows.Scan(&created, &doc, &tags); err != nil {
			return nil, "", err
		}
		if p.Limit > 0 && len(out) == p.Limit {
			return out, db.tokens.Seal(scope, last.Bytes()), rows.Err()
		}
		v, err := decode(doc, tags)
		if err != nil {
			return nil, "", err
		}
		out = append(out, v)
		last = store.Cursor{CreatedAt: created, ID: id(v)}
	}
	return out, "", rows.Err()
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
