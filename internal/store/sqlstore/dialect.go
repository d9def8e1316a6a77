package sqlstore

import (
	"database/sql"
	"hash/fnv"
	"io/fs"
	"strconv"
	"strings"
)

// Dialect is what differs between the engines.
type Dialect struct {
	// Numbered: placeholders are $1, $2, … (PostgreSQL) rather than ?.
	Numbered bool
	// ForShare and ForUpdate are the row-locking clauses appended to a
	// SELECT (" FOR SHARE"), empty where the engine has none.
	ForShare, ForUpdate string
	// AdvisoryLock takes a transaction-scoped lock on a 64-bit key (its one
	// argument); empty where the engine needs none.
	AdvisoryLock string
	// MigrationLock and MigrationUnlock take and free a session lock on a
	// key while migrations run; empty where transactions already serialise
	// them.
	MigrationLock, MigrationUnlock string
	// Now is the database's current time as a lease column holds it, and
	// Later that time plus the milliseconds of its one argument.
	Now, Later string
	// IsUniqueViolation reports a unique constraint error.
	IsUniqueViolation func(error) bool
	// TokenArg is how a clientToken is written (PostgreSQL keeps bytes, as
	// text holds no NUL).
	TokenArg func(token string) any
	// IndexedBy is the hint that makes a query use an index, for engines
	// whose planner needs it ("" otherwise).
	IndexedBy func(index string) string
	// Snapshot are the options of the read transaction of ReadMetering.
	Snapshot *sql.TxOptions
	// CacheStatements keeps prepared statements for reuse, for a driver
	// that does not (SQLite's parses and plans every query otherwise).
	CacheStatements bool
	// Migrations holds the engine's migrations/NNNN_description.sql.
	Migrations fs.FS
}

// bind rewrites the ? placeholders of query as the dialect writes them.
func (d *Dialect) bind(query string) string {
	if !d.Numbered {
		return query
	}
	var b strings.Builder
	n, quoted := 0, false
	for _, r := range query {
		switch {
		case r == '\'':
			quoted = !quoted
		case r == '?' && !quoted:
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// lockKey is the advisory lock key of a name (FNV-1a, as the locks of
// earlier versions, so that servers of both agree during an upgrade).
func lockKey(name string) int64 {
	h := fnv.New64a()
	h.Write([]byte(name))
	return int64(h.Sum64())
}
