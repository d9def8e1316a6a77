package postgres

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

// where accumulates the conditions and arguments of a listing query.
type where struct {
	conds []string
	args  []any
}

// add appends cond, numbering its ? marks as the placeholders ($n) of args.
func (w *where) add(cond string, args ...any) {
	var b strings.Builder
	n := len(w.args)
	for _, r := range cond {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	w.conds = append(w.conds, b.String())
	w.args = append(w.args, args...)
}

// in matches column against any of values; no values match all.
func (w *where) in(column string, values []string) {
	if len(values) > 0 {
		w.add(column+" = ANY(?)", values)
	}
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

// page adds the cursor condition of p, a page of a listing of scope, and
// returns the LIMIT clause to query: one more than the page, to know
// whether another page follows, or none.
func (w *where) page(tokens *store.PageTokens, scope string, p store.Page) (string, error) {
	if p.Token != "" {
		raw, err := tokens.Open(scope, p.Token)
		if err != nil {
			return "", err
		}
		c, err := store.ParseCursor(raw)
		if err != nil {
			return "", err
		}
		w.add("(created_at, id) < (?, ?)", c.CreatedAt, c.ID)
	}
	if p.Limit <= 0 {
		return "", nil
	}
	return " LIMIT " + strconv.Itoa(p.Limit+1), nil
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// list runs a listing of scope (the store.XFilter.Scope() of its query):
// selectFrom is `SELECT created_at, doc, <tags> FROM <table>` (<tags> the
// tags column, or '{}' for a table without one), w its conditions. Rows
// come newest first and are decoded by decode; the next page token points
// after the last one returned.
func list[T any](ctx context.Context, db *DB, scope, selectFrom string, w *where, p store.Page,
	decode func(doc []byte, tags string) (T, error), id func(T) string) ([]T, string, error) {
	limit, err := w.page(db.tokens, scope, p)
	if err != nil {
		return nil, "", err
	}
	rows, err := db.pool.Query(ctx, selectFrom+w.String()+` ORDER BY created_at DESC, id DESC`+limit, w.args...)
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
			return out, db.tokens.Seal(scope, last.Bytes()), nil
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
