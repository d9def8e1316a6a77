package sqlite

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/store"
)

// cursor is the position after the last item of a page, in the listing
// order (created_at DESC, id DESC). Page tokens carry it sealed (see
// store.PageTokens), so a cursor that parses came from this database.
type cursor struct {
	createdAt int64
	id        string
}

func (c cursor) bytes() []byte {
	return []byte(strconv.FormatInt(c.createdAt, 10) + "." + c.id)
}

func parseCursor(raw []byte) (cursor, error) {
	ts, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return cursor{}, fmt.Errorf("%w: malformed cursor", store.ErrInvalidToken)
	}
	return cursor{createdAt: n, id: id}, nil
}

// where accumulates the conditions and arguments of a listing query.
type where struct {
	conds []string
	args  []any
}

func (w *where) add(cond string, args ...any) {
	w.conds = append(w.conds, cond)
	w.args = append(w.args, args...)
}

func (w *where) in(column string, values []string) {
	if len(values) == 0 {
		return
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(values)), ",")
	args := make([]any, len(values))
	for i, v := range values {
		args[i] = v
	}
	w.add(column+" IN ("+marks+")", args...)
}

// page adds the cursor condition of p, a page of a listing of scope, and
// returns the LIMIT to query: one more than the page, to know whether
// another page follows, or -1 (no limit in SQLite) when p has none.
func (w *where) page(tokens *store.PageTokens, scope string, p store.Page) (int, error) {
	if p.Token != "" {
		raw, err := tokens.Open(scope, p.Token)
		if err != nil {
			return 0, err
		}
		c, err := parseCursor(raw)
		if err != nil {
			return 0, err
		}
		w.add("(created_at < ? OR (created_at = ? AND id < ?))", c.createdAt, c.createdAt, c.id)
	}
	if p.Limit <= 0 {
		return -1, nil
	}
	return p.Limit + 1, nil
}

func (w *where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}
