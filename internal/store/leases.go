package store

import (
	"context"
	"time"
)

// Leases let several sparkplane servers share one database. A lease has a
// name (the controller uses "jobrun/<virtual cluster id>/<job run id>")
// and gives one owner (a server's id) the right to act on what it names
// until it expires, unless the owner renews it first. Whoever asks after
// it expired may take it over: so a server that dies loses its runs to
// another within the lease's time to live.
//
// Expiry is measured on the store's clock (the PostgreSQL server's; the
// process's for SQLite), so the owners' clocks need not agree. An owner
// that counts its own deadline from before it asked (its monotonic clock
// plus the ttl) never believes it holds a lease that the store has let go.
type Leases interface {
	// AcquireLease gives owner the lease called name for ttl from now if
	// no one holds it, its holder's time is up, or owner holds it already
	// (which renews it). It reports whether owner holds the lease now; a
	// lease held by another owner is false, not an error. Of owners asking
	// at once, exactly one gets it.
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	// RenewLeases extends to ttl from now every lease that owner holds and
	// that has not expired, and returns their names, in no order.
	RenewLeases(ctx context.Context, owner string, ttl time.Duration) ([]string, error)
	// ReleaseLeases gives up those of names that owner holds, so that
	// others may take them at once; other owners' leases stay as they are.
	ReleaseLeases(ctx context.Context, owner string, names ...string) error
}
