// Package retention removes what finished job runs leave behind once it
// has been kept long enough: the runs' records and every row about them,
// their folders on this server, the raw usage records of cost reports
// and, later, the daily rollups those reports read instead.
//
// A Purger's pass removes in batches (store.Retention: one short
// transaction each, Options.Batch items), pausing between them at least as
// long as the batch took, so that API writes interleave (SQLite has one
// writer: a StartJobRun waits for at most one batch). After each batch of
// runs it removes their folders. When several servers share a PostgreSQL
// store, the server that holds the retention lease purges the store; every
// server sweeps its own folders: those of runs the store no longer has.
package retention

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Store is what a Purger needs of the store.
type Store interface {
	store.Retention
	GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error)
}

// LeaseName is the lease of the server that purges the store.
const LeaseName = "retention"

// leaseTTL is how long the purging server holds the lease between renewals.
const leaseTTL = 2 * time.Minute

// Options configure a Purger; a zero period keeps for ever.
type Options struct {
	// JobRuns is how long a finished run is kept after it finished.
	JobRuns time.Duration
	// Usage is how long a usage record is kept after its pod ended.
	Usage time.Duration
	// CostRollups is how long a day's cost rollups are kept after it ended.
	CostRollups time.Duration
	// Interval is the time between passes (default 1h).
	Interval time.Duration
	// Batch is how many items one transaction removes (default 100).
	Batch int
	// Pause is the least time between two batches (default 10ms); a pause
	// lasts at least three times as long as the batch before it.
	Pause time.Duration
	// Dirs are this server's folders of runs.
	Dirs Dirs
	// Leases, when set, make the Purger purge the store only while it
	// holds LeaseName as Owner (servers sharing a store); nil: it alone.
	Leases store.Leases
	Owner  string
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Purged, when set, is told what each batch removed: kind is
	// "job_runs", "usage_records" or "cost_rollups".
	Purged func(kind string, n int)
	Logger *slog.Logger
}

// Defaults of Options.
const (
	DefaultInterval = time.Hour
	DefaultBatch    = 100
	DefaultPause    = 10 * time.Millisecond
)

// Kinds of what is purged, as Options.Purged names them.
const (
	KindJobRuns     = "job_runs"
	KindUsage       = "usage_records"
	KindCostRollups = "cost_rollups"
)

// Purger removes what has been kept long enough.
type Purger struct {
	st   Store
	opts Options
}

// New returns the purger of st.
func New(st Store, opts Options) *Purger {
	if opts.Interval <= 0 {
		opts.Interval = DefaultInterval
	}
	if opts.Batch <= 0 {
		opts.Batch = DefaultBatch
	}
	if opts.Pause <= 0 {
		opts.Pause = DefaultPause
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Purger{st: st, opts: opts}
}

// Result is what a pass removed.
type Result struct {
	JobRuns, UsageRecords, CostRollups int
	// Folders are the run folders, event logs and spool files removed.
	Folders int
}

// Run makes a pass every Interval until ctx ends (the first at once).
func (p *Purger) Run(ctx context.Context) {
	if p == nil {
		return
	}
	for {
		res, err := p.Pass(ctx)
		if err != nil && ctx.Err() == nil {
			p.opts.Logger.Warn("retention pass failed; will retry", "err", err)
		} else if res != (Result{}) {
			p.opts.Logger.Info("retention pass", "jobRuns", res.JobRuns, "usageRecords", res.UsageRecords,
				"costRollups", res.CostRollups, "folders", res.Folders)
		}
		select {
		case <-ctx.Done():
			p.release()
			return
		case <-time.After(p.opts.Interval):
		}
	}
}

// Pass purges the store, when this server holds the lease (or there is
// none), in batches until nothing is left to remove, then sweeps this
// server's folders.
func (p *Purger) Pass(ctx context.Context) (Result, error) {
	var res Result
	lease := &hold{p: p}
	err := p.purgeStore(ctx, lease, &res)
	n, serr := p.opts.Dirs.sweep(ctx, p.st, p.cutoff(p.opts.JobRuns))
	res.Folders += n
	return res, errors.Join(err, serr)
}

// cutoff is the time before which what is kept for period has expired;
// zero when period is 0 (kept for ever).
func (p *Purger) cutoff(period time.Duration) time.Time {
	if period <= 0 {
		return time.Time{}
	}
	return p.opts.Now().Add(-period)
}

// purgeStore removes expired runs, then usage records, then rollups.
func (p *Purger) purgeStore(ctx context.Context, lease *hold, res *Result) error {
	if before := p.cutoff(p.opts.JobRuns); !before.IsZero() {
		err := p.batches(ctx, lease, KindJobRuns, func() (int, error) {
			runs, err := p.st.PurgeFinishedJobRuns(ctx, before, p.opts.Batch)
			res.Folders += p.opts.Dirs.remove(runs)
			return len(runs), err
		}, &res.JobRuns)
		if err != nil {
			return err
		}
	}
	if before := p.cutoff(p.opts.Usage); !before.IsZero() {
		err := p.batches(ctx, lease, KindUsage, func() (int, error) {
			return p.st.PurgeUsage(ctx, before, p.opts.Batch)
		}, &res.UsageRecords)
		if err != nil {
			return err
		}
	}
	if before := p.cutoff(p.opts.CostRollups); !before.IsZero() {
		return p.batches(ctx, lease, KindCostRollups, func() (int, error) {
			return p.st.PurgeRollups(ctx, before, p.opts.Batch)
		}, &res.CostRollups)
	}
	return nil
}

// batches calls batch until it removes nothing, while this server holds
// the lease; total counts what was removed. Each pause lasts at least
// three times as long as the batch before it, so the purge holds the
// store's writer, and its share of the server's CPU, at most a quarter of
// the time: an hourly pass may take longer, the API must not notice it.
func (p *Purger) batches(ctx context.Context, lease *hold, kind string, batch func() (int, error), total *int) error {
	for {
		held, err := lease.held(ctx)
		if err != nil || !held {
			return err
		}
		t0 := time.Now()
		n, err := batch()
		took := time.Since(t0)
		*total += n
		if n > 0 && p.opts.Purged != nil {
			p.opts.Purged(kind, n)
		}
		if err != nil || n == 0 {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(max(p.opts.Pause, 3*took)):
		}
	}
}

// release gives up the lease, so that another server may purge at once.
func (p *Purger) release() {
	if p.opts.Leases == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = p.opts.Leases.ReleaseLeases(ctx, p.opts.Owner, LeaseName) // else it expires
}

// hold is the retention lease as a pass sees it.
type hold struct {
	p     *Purger
	until time.Time // by the monotonic clock, counted from before it asked
}

// held reports whether this server may purge now, renewing the lease
// once a third of its time has gone.
func (h *hold) held(ctx context.Context) (bool, error) {
	l := h.p.opts.Leases
	if l == nil {
		return true, nil
	}
	if time.Until(h.until) > 2*leaseTTL/3 {
		return true, nil
	}
	asked := time.Now()
	ok, err := l.AcquireLease(ctx, LeaseName, h.p.opts.Owner, leaseTTL)
	if err != nil || !ok {
		h.until = time.Time{}
		return false, err
	}
	h.until = asked.Add(leaseTTL)
	return true, nil
}
