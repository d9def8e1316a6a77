package sqlite

import (
	"strings"

	"github.com/sparkplane/sparkplane/internal/store"
)

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
		c, err := store.ParseCursor(raw)
		if err != nil {
			return 0, err
		}
		w.add("(created_at < ? OR (created_at = ? AND id < ?))", c.CreatedAt, c.CreatedAt, c.ID)
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
