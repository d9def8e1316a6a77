// Package events delivers the state changes of job runs, kept in the
// store's outbox (store.Events), to webhooks: at least once, and in the
// order they happened.
//
// A Dispatcher runs one delivery loop per webhook. The loop reads the
// outbox from the webhook's delivery cursor, POSTs each event (its
// EventBridge envelope as JSON, one per request), and moves the cursor past
// it only once the webhook answered 2xx; on an error or a timeout it tries
// the same event again after a back-off, so a webhook receives the events in
// outbox order, which is each run's order, and may receive one again (after
// a crash between its answer and the cursor's write, say) but misses none.
// When several servers share the store, a webhook is delivered by the one
// server that holds its lease; another takes over when that server stops or
// its lease expires.
package events

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

// Outbox is what a Dispatcher needs of the store.
type Outbox interface {
	JobRunEvents(ctx context.Context, after int64, limit int, virtualClusterIDs []string) ([]store.JobRunEvent, error)
	LastJobRunEvent(ctx context.Context) (int64, error)
	DeliveryCursor(ctx context.Context, name string) (int64, error)
	SetDeliveryCursor(ctx context.Context, name string, cursor int64) error
	PruneJobRunEvents(ctx context.Context, before time.Time, upTo int64) (int, error)
}

// Options tune a Dispatcher; zero fields take defaults.
type Options struct {
	// Leases, when set, make the dispatcher deliver a webhook only while
	// it holds the webhook's lease as Owner (servers sharing a store); nil:
	// this server alone delivers every webhook.
	Leases store.Leases
	Owner  string
	// Poll is how often an idle loop looks for new events (default 250ms).
	Poll time.Duration
	// Backoff spaces out the attempts to deliver an event (DefaultBackoff).
	Backoff Backoff
	// Retention is how long events are kept once every webhook has taken
	// them (0: for ever).
	Retention time.Duration
	// Client sends the requests (default: a client of its own).
	Client *http.Client
	Logger *slog.Logger
}

// Dispatcher delivers the outbox to webhooks.
type Dispatcher struct {
	outbox Outbox
	hooks  []Webhook
	opts   Options
}

// batch is how many events a loop reads at a time.
const batch = 100

// New returns the dispatcher of hooks, reading outbox.
func New(outbox Outbox, hooks []Webhook, opts Options) *Dispatcher {
	if opts.Poll <= 0 {
		opts.Poll = 250 * time.Millisecond
	}
	if opts.Backoff.Min <= 0 || opts.Backoff.Max < opts.Backoff.Min {
		opts.Backoff = DefaultBackoff
	}
	if opts.Client == nil {
		opts.Client = &http.Client{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Dispatcher{outbox: outbox, hooks: hooks, opts: opts}
}

// LeaseName is the name of the lease of the webhook called name.
func LeaseName(name string) string { return "events/webhook/" + name }

// Run delivers until ctx ends.
func (d *Dispatcher) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, h := range d.hooks {
		wg.Go(func() { d.deliver(ctx, h) })
	}
	if d.opts.Retention > 0 {
		wg.Go(func() { d.prune(ctx) })
	}
	wg.Wait()
	if d.opts.Leases != nil && d.opts.Owner != "" {
		names := make([]string, len(d.hooks))
		for i, h := range d.hooks {
			names[i] = LeaseName(h.Name)
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = d.opts.Leases.ReleaseLeases(rctx, d.opts.Owner, names...) // else they expire
	}
}

// deliver is the loop of one webhook.
func (d *Dispatcher) deliver(ctx context.Context, h Webhook) {
	log := d.opts.Logger.With("webhook", h.Name)
	lease := &hold{d: d, name: LeaseName(h.Name), ttl: max(15*time.Second, 3*h.Timeout)}
	failed := 0
	for ctx.Err() == nil {
		if !lease.held(ctx) {
			sleep(ctx, lease.ttl/3)
			continue
		}
		cursor, err := d.outbox.DeliveryCursor(ctx, h.Name)
		var events []store.JobRunEvent
		if err == nil {
			events, err = d.outbox.JobRunEvents(ctx, cursor, batch, nil)
		}
		if err != nil {
			if ctx.Err() == nil {
				log.Warn("could not read the event outbox", "err", err)
			}
			sleep(ctx, d.opts.Backoff.Max)
			continue
		}
		if len(events) == 0 {
			sleep(ctx, d.opts.Poll)
			continue
		}
		for _, e := range events {
			for ctx.Err() == nil && lease.held(ctx) {
				err := d.send(ctx, h, e)
				if err == nil {
					failed = 0
					break
				}
				failed++
				wait := d.opts.Backoff.Delay(failed)
				if ctx.Err() == nil {
					log.Warn("could not deliver an event; will retry", "cursor", e.Cursor, "failures", failed, "retryIn", wait, "err", err)
				}
				sleep(ctx, wait)
			}
			if failed > 0 || ctx.Err() != nil || !lease.held(ctx) {
				break // read again from the cursor
			}
		}
	}
}

// send delivers e to h and moves h's cursor past it.
func (d *Dispatcher) send(ctx context.Context, h Webhook, e store.JobRunEvent) error {
	ev := e.Event()
	body, err := json.Marshal(ev)
	if err != nil {
		return err
	}
	if err := post(ctx, d.opts.Client, h, ev.ID, body); err != nil {
		return err
	}
	return d.outbox.SetDeliveryCursor(ctx, h.Name, e.Cursor)
}

// prune deletes, every hour, the events older than the retention that
// every webhook has taken.
func (d *Dispatcher) prune(ctx context.Context) {
	for {
		upTo, err := d.outbox.LastJobRunEvent(ctx)
		for _, h := range d.hooks {
			if err != nil {
				break
			}
			var c int64
			c, err = d.outbox.DeliveryCursor(ctx, h.Name)
			upTo = min(upTo, c)
		}
		if err == nil {
			_, err = d.outbox.PruneJobRunEvents(ctx, time.Now().Add(-d.opts.Retention), upTo)
		}
		if err != nil && ctx.Err() == nil {
			d.opts.Logger.Warn("could not prune the event outbox", "err", err)
		}
		if !sleep(ctx, time.Hour) {
			return
		}
	}
}

// hold is a webhook's lease as one loop sees it.
type hold struct {
	d     *Dispatcher
	name  string
	ttl   time.Duration
	until time.Time // by this server's clock, counted from before it asked
}

// held reports whether this server may deliver now: it holds the lease
// for at least two thirds of its time to live, renewing it if need be.
func (l *hold) held(ctx context.Context) bool {
	leases := l.d.opts.Leases
	if leases == nil {
		return true
	}
	if time.Until(l.until) > l.ttl*2/3 {
		return true
	}
	asked := time.Now()
	ok, err := leases.AcquireLease(ctx, l.name, l.d.opts.Owner, l.ttl)
	if err != nil || !ok {
		if err != nil && ctx.Err() == nil {
			l.d.opts.Logger.Warn("could not take a webhook's lease", "lease", l.name, "err", err)
		}
		l.until = time.Time{}
		return false
	}
	l.until = asked.Add(l.ttl)
	return true
}

// sleep waits d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}
