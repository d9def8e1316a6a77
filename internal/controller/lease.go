package controller

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Several servers may share one database (PostgreSQL). Each job run is then
// driven by one server at a time: the one that holds the run's lease (see
// store.Leases). The controller is given a Leased, this server's leases,
// in its Options:
//
//   - A pass over a run reads it and asks emr.Decide what to do. A run that
//     needs nothing (a PENDING run behind its virtual cluster's limit) is
//     left at once: no lease is taken or written for it.
//   - A run that needs an action is first held (hold): its lease is taken,
//     or kept without a write while it is fresh (less than a third of its
//     time to live old; Run renews every lease a third of the way through).
//     A run another server holds is left alone: that server drives it.
//   - Writes are made only while the lease has not run out by this server's
//     own clock (holds); a run that ended, here or elsewhere, gives its lease
//     up (let).
//   - The resync passes over the runs that may need an action, so a run
//     whose server died is taken over by the first server whose pass comes
//     after its lease expired; Release gives every lease up when the server
//     stops, so another takes over at once.
//
// A run is therefore submitted by the server that holds it when it is
// PENDING. A server taking over a run that another submitted observes it:
// runtimes name what they create after the run (a local run's folder and
// process, a Kubernetes run's Job), so a Submit of a submitted run finds it.

// DefaultLeaseTTL is how long a lease lasts unless renewed: how soon
// another server takes over the runs of a server that died.
const DefaultLeaseTTL = 15 * time.Second

// Leased holds the leases of one server. Its methods accept a nil
// *Leased: a server alone on its store (SQLite) holds every run and writes
// no lease.
type Leased struct {
	leases store.Leases
	owner  string
	ttl    time.Duration
	now    func() time.Time
	log    *slog.Logger

	mu   sync.Mutex
	held map[string]time.Time // by lease name: when it was last taken or renewed, before the store's now
}

// NewLeased returns the leases, kept in leases, of the server owner: they
// last ttl (DefaultLeaseTTL when 0), measured by now (time.Now when nil).
func NewLeased(leases store.Leases, owner string, ttl time.Duration, now func() time.Time, log *slog.Logger) *Leased {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	if now == nil {
		now = time.Now
	}
	if log == nil {
		log = slog.Default()
	}
	return &Leased{leases: leases, owner: owner, ttl: ttl, now: now, log: log, held: map[string]time.Time{}}
}

// LeaseName is the name of a job run's lease.
func LeaseName(virtualClusterID, jobRunID string) string {
	return "jobrun/" + runtime.Key(virtualClusterID, jobRunID)
}

// hold takes or keeps the run's lease and reports whether this server
// holds it. A lease taken or renewed less than a third of its time to live
// ago is kept without asking the store.
func (l *Leased) hold(ctx context.Context, virtualClusterID, id string) (bool, error) {
	if l == nil {
		return true, nil
	}
	name := LeaseName(virtualClusterID, id)
	asked := l.now()
	l.mu.Lock()
	at, had := l.held[name]
	l.mu.Unlock()
	if had && asked.Sub(at) < l.ttl/3 {
		return true, nil
	}
	ok, err := l.leases.AcquireLease(ctx, name, l.owner, l.ttl)
	if err != nil {
		return false, err
	}
	l.mu.Lock()
	if ok {
		l.held[name] = asked
	} else {
		delete(l.held, name)
	}
	l.mu.Unlock()
	switch {
	case !ok && had:
		l.log.Warn("lost the lease of a job run to another server", "run", runtime.Key(virtualClusterID, id))
	case ok && !had:
		l.log.Debug("took the lease of a job run", "run", runtime.Key(virtualClusterID, id), "server", l.owner)
	}
	return ok, nil
}

// holds reports whether this server's lease on the run lasts, by its own
// clock: never later than the store's expiry, which counts from a moment
// after the lease was asked for.
func (l *Leased) holds(virtualClusterID, id string) bool {
	if l == nil {
		return true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	at, ok := l.held[LeaseName(virtualClusterID, id)]
	return ok && l.now().Before(at.Add(l.ttl))
}

// let gives up the lease of a run that ended, if this server holds it.
func (l *Leased) let(ctx context.Context, virtualClusterID, id string) {
	if l == nil {
		return
	}
	name := LeaseName(virtualClusterID, id)
	l.mu.Lock()
	_, ok := l.held[name]
	l.mu.Unlock()
	if ok {
		l.release(ctx, name)
	}
}

// keys are the runs whose leases this server holds, as runtime.Keys.
func (l *Leased) keys() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.held))
	for name := range l.held {
		out = append(out, strings.TrimPrefix(name, "jobrun/"))
	}
	return out
}

// release gives up leases, forgetting them even if the store could not be
// told (they then expire).
func (l *Leased) release(ctx context.Context, names ...string) {
	if len(names) == 0 {
		return
	}
	l.mu.Lock()
	for _, n := range names {
		delete(l.held, n)
	}
	l.mu.Unlock()
	if err := l.leases.ReleaseLeases(ctx, l.owner, names...); err != nil {
		l.log.Warn("could not release leases; they will expire", "count", len(names), "err", err)
	}
}

// Run renews the leases this server holds every third of their time to
// live until ctx ends. A lease the store did not renew (it expired, say
// while this server was stalled) is forgotten: the next pass over its run
// takes it again, or finds that another server has.
func (l *Leased) Run(ctx context.Context) {
	if l == nil {
		return
	}
	tick := time.NewTicker(l.ttl / 3)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			l.renew(ctx)
		}
	}
}

func (l *Leased) renew(ctx context.Context) {
	l.mu.Lock()
	empty := len(l.held) == 0
	l.mu.Unlock()
	if empty { // an idle server asks the store nothing
		return
	}
	asked := l.now()
	names, err := l.leases.RenewLeases(ctx, l.owner, l.ttl)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("could not renew leases", "err", err)
		}
		return
	}
	renewed := make(map[string]bool, len(names))
	for _, n := range names {
		renewed[n] = true
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	for name, at := range l.held {
		switch {
		case renewed[name]:
			l.held[name] = asked
		case at.Before(asked): // the store no longer has it as ours
			delete(l.held, name)
		}
	}
}

// Release gives up every lease this server holds. Call it once the
// controller has stopped, so that other servers take the runs over at
// their next resync instead of after the leases expire.
func (l *Leased) Release(ctx context.Context) {
	if l == nil {
		return
	}
	l.mu.Lock()
	names := slices.Collect(maps.Keys(l.held))
	l.mu.Unlock()
	l.release(ctx, names...)
}

// Held returns how many leases this server holds.
func (l *Leased) Held() int {
	if l == nil {
		return 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}
