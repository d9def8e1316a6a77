package sqlstore

import (
	"context"
	"database/sql"
	"sync"
)

// maxCachedStatements bounds a statement cache: queries are a fixed set of
// shapes (filters and IN lists of a few lengths), so the bound is only a
// guard.
const maxCachedStatements = 512

// stmtCache keeps a pool's prepared statements by query, for engines whose
// driver prepares every statement again otherwise (SQLite: parsing and
// planning cost as much as running a small query). database/sql prepares a
// cached statement once per connection of the pool, and once per
// transaction's connection through Tx.StmtContext.
//
// A statement first met in a transaction is not prepared then (on SQLite
// the transaction holds the pool's only writing connection): it runs
// unprepared, and is prepared once the transaction has ended.
type stmtCache struct {
	pool *sql.DB
	mu   sync.Mutex
	m    map[string]*sql.Stmt
	todo map[string]bool // met in transactions, to prepare after them
}

func newStmtCache(pool *sql.DB) *stmtCache {
	return &stmtCache{pool: pool, m: map[string]*sql.Stmt{}, todo: map[string]bool{}}
}

// get returns the prepared statement of query, nil when it is not (yet)
// cached; the caller then runs the query unprepared. inTx says a
// transaction holds a connection of the pool: nothing is prepared now.
func (c *stmtCache) get(ctx context.Context, query string, inTx bool) *sql.Stmt {
	if c == nil {
		return nil
	}
	c.mu.Lock()
	s, ok := c.m[query]
	full := len(c.m)+len(c.todo) >= maxCachedStatements
	if !ok && inTx && !full {
		c.todo[query] = true
	}
	c.mu.Unlock()
	if ok || inTx || full {
		return s
	}
	return c.prepare(ctx, query)
}

// prepare prepares query on the pool (holding no lock meanwhile) and keeps it.
func (c *stmtCache) prepare(ctx context.Context, query string) *sql.Stmt {
	s, err := c.pool.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if prev, ok := c.m[query]; ok || c.m == nil { // prepared meanwhile, or closed
		s.Close()
		return prev
	}
	c.m[query] = s
	return s
}

// prepareMet prepares the statements met in transactions since the last
// call; call it when no transaction holds a connection of the pool.
func (c *stmtCache) prepareMet(ctx context.Context) {
	if c == nil {
		return
	}
	c.mu.Lock()
	var queries []string
	for q := range c.todo {
		queries = append(queries, q)
	}
	clear(c.todo)
	c.mu.Unlock()
	for _, q := range queries {
		c.prepare(ctx, q)
	}
}

// close closes every cached statement.
func (c *stmtCache) close() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, s := range c.m {
		s.Close()
	}
	c.m = nil
}
