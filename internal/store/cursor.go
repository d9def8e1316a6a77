package store

import (
	"fmt"
	"strconv"
	"strings"
)

// Cursor is the position after the last item of a page in the order every
// listing uses (created at, then id, both descending): what a page token
// carries, sealed by PageTokens. Every implementation writes it the same
// way, "<unix milliseconds>.<id>", so a cursor that parses came from a
// token that PageTokens opened.
type Cursor struct {
	CreatedAt int64 // unix milliseconds
	ID        string
}

// Bytes renders c for PageTokens.Seal.
func (c Cursor) Bytes() []byte {
	return []byte(strconv.FormatInt(c.CreatedAt, 10) + "." + c.ID)
}

// ParseCursor reads what Bytes wrote; ErrInvalidToken otherwise.
func ParseCursor(raw []byte) (Cursor, error) {
	ts, id, ok := strings.Cut(string(raw), ".")
	n, err := strconv.ParseInt(ts, 10, 64)
	if !ok || err != nil || id == "" {
		return Cursor{}, fmt.Errorf("%w: malformed cursor", ErrInvalidToken)
	}
	return Cursor{CreatedAt: n, ID: id}, nil
}
