package controller

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Several servers may share one database (PostgreSQL). Each job run is then
// driven by one server at a time: the one that holds the run's lease (see
// store.Leases). The controller itself knows nothing of leases; it is
// given a Leased store, a view of the store through which it reaches only
// the runs its server holds:
//
//   - GetJobRun, which every pass over a run starts with, first takes or
//     renews the run's lease; a run that another server holds is not found,
//     so the pass leaves it alone. The periodic resync passes over every
//     active run, so a run whose server died is taken over by the first
//     server whose pass comes after its lease expired.
//   - UpdateJobRun writes only while the lease has not run out by this
//     server's own clock (ErrConflict otherwise: the controller looks
//     again, and finds the run held or takes it back), and gives the lease
//     up when the run ends.
//   - ActiveJobRuns, the resync's list, gives up the leases of runs that
//     ended meanwhile.
//   - Run renews every lease held, each third of the lease's time to live;
//     Release gives them all up when the server stops, so another takes
//     over at once.
//
// A run is therefore submitted by the server that holds it when it is
// PENDING. A server taking over a run that another submitted observes it:
// runtimes name what they create after the run (a local run's folder and
// process, a Kubernetes run's Job), so a Submit of a submitted run finds it.

// DefaultLeaseTTL is how long a lease lasts unless renewed: how soon
// another server takes over the runs of a server that died.
const DefaultLeaseTTL = 15 * time.Second

// Leases is what a Leased store needs of the store's leases.
type Leases = store.Leases

// Leased is a Store through which a controller drives only the runs whose
// lease its server holds.
type Leased struct {
	Store
	leases Leases
	owner  string
	ttl    time.Duration
	log    *slog.Logger

	mu   sync.Mutex
	held map[string]holding // by lease name
}

// holding is one lease this server holds.
type holding struct {
	since time.Time // first taken
	asked time.Time // when it was last taken or renewed: before the store's now
}

// until is when the lease ends by this server's clock: never later than
// the store's expiry, which counts from a moment after asked.
func (h holding) until(ttl time.Duration) time.Time { return h.asked.Add(ttl) }

// NewLeased returns the view of st, with its leases, of the server owner:
// leases last ttl (DefaultLeaseTTL when 0).
func NewLeased(st Store, leases Leases, owner string, ttl time.Duration, log *slog.Logger) *Leased {
	if ttl <= 0 {
		ttl = DefaultLeaseTTL
	}
	if log == nil {
		log = slog.Default()
	}
	return &Leased{Store: st, leases: leases, owner: owner, ttl: ttl, log: log, held: map[string]holding{}}
}

// Owner is the id of the server whose view this is.
func (l *Leased) Owner() string { return l.owner }

// LeaseName is the name of a job run's lease.
func LeaseName(virtualClusterID, jobRunID string) string {
	return "jobrun/" + runtime.Key(virtualClusterID, jobRunID)
}

// GetJobRun takes or renews the run's lease, then reads the run;
// store.ErrNotFound when another server holds it.
func (l *Leased) GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error) {
	name := LeaseName(virtualClusterID, id)
	asked := time.Now()
	ok, err := l.leases.AcquireLease(ctx, name, l.owner, l.ttl)
	if err != nil {
		return nil, err
	}
	l.mu.Lock()
	h, had := l.held[name]
	if ok {
		if !had {
			h.since = asked
		}
		h.asked = asked
		l.held[name] = h
	} else {
		delete(l.held, name)
	}
	l.mu.Unlock()
	if !ok {
		if had {
			l.log.Warn("lost the lease of a job run to another server", "run", runtime.Key(virtualClusterID, id))
		}
		return nil, fmt.Errorf("job run %s is driven by another server: %w", runtime.Key(virtualClusterID, id), store.ErrNotFound)
	}
	if !had {
		l.log.Debug("took the lease of a job run", "run", runtime.Key(virtualClusterID, id), "server", l.owner)
	}
	return l.Store.GetJobRun(ctx, virtualClusterID, id)
}

// UpdateJobRun writes run while this server's lease on it lasts
// (store.ErrConflict otherwise) and gives the lease up once run has ended.
func (l *Leased) UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error {
	name := LeaseName(run.VirtualClusterID, run.ID)
	l.mu.Lock()
	h, ok := l.held[name]
	l.mu.Unlock()
	if !ok || !time.Now().Before(h.until(l.ttl)) {
		return fmt.Errorf("update job run %s: this server's lease on it has run out: %w", runtime.Key(run.VirtualClusterID, run.ID), store.ErrConflict)
	}
	if err := l.Store.UpdateJobRun(ctx, run, from); err != nil {
		return err
	}
	if run.State.Terminal() {
		l.release(ctx, name)
	}
	return nil
}

// ActiveJobRuns lists the active runs of every server, and gives up this
// server's leases of runs that ended (or never existed) before the list
// was taken.
func (l *Leased) ActiveJobRuns(ctx context.Context) ([]*emr.JobRun, error) {
	asked := time.Now()
	runs, err := l.Store.ActiveJobRuns(ctx)
	if err != nil {
		return nil, err
	}
	active := make(map[string]bool, len(runs))
	for _, r := range runs {
		active[LeaseName(r.VirtualClusterID, r.ID)] = true
	}
	var ended []string
	l.mu.Lock()
	for name, h := range l.held {
		if !active[name] && h.since.Before(asked) {
			ended = append(ended, name)
		}
	}
	l.mu.Unlock()
	l.release(ctx, ended...)
	return runs, nil
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
	asked := time.Now()
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
	for name, h := range l.held {
		switch {
		case renewed[name]:
			h.asked = asked
			l.held[name] = h
		case h.asked.Before(asked): // the store no longer has it as ours
			delete(l.held, name)
		}
	}
}

// Release gives up every lease this server holds. Call it once the
// controller has stopped, so that other servers take the runs over at
// their next resync instead of after the leases expire.
func (l *Leased) Release(ctx context.Context) {
	l.mu.Lock()
	names := make([]string, 0, len(l.held))
	for n := range l.held {
		names = append(names, n)
	}
	l.mu.Unlock()
	l.release(ctx, names...)
}

// Held returns how many leases this server holds.
func (l *Leased) Held() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.held)
}
