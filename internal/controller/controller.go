package controller

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"k8s.io/client-go/util/workqueue"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Store is what the controller needs of the store.
type Store interface {
	GetVirtualCluster(ctx context.Context, id string) (*emr.VirtualCluster, error)
	GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error)
	UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error
	CountJobRuns(ctx context.Context, virtualClusterID string, states ...emr.JobRunState) (int, error)
	PendingJobRuns(ctx context.Context, virtualClusterID string, limit int) ([]*emr.JobRun, error)
	JobRunsInStates(ctx context.Context, states []emr.JobRunState, afterID string, limit int) ([]*emr.JobRun, error)
	CancelRequestedJobRuns(ctx context.Context, afterID string, limit int) ([]*emr.JobRun, error)
	QueuedVirtualClusters(ctx context.Context) ([]string, error)
}

// Options tune a Controller; zero values pick the defaults.
type Options struct {
	Workers int           // concurrent passes; default 8 (a pass mostly waits on the store or a runtime)
	Resync  time.Duration // period of the safety-net pass over active runs; default 10 s
	// CancelPoll is how often, with Leases, the cancels recorded by other
	// servers are looked for; default 1 s. The server that records a cancel
	// acts on it at once.
	CancelPoll time.Duration
	// Leases, when several servers share the store, keep each run driven by
	// one of them; nil: this server drives every run.
	Leases *Leased
	// Observer is told about transitions and failures (metrics); nil: none.
	Observer Observer
	Now      func() time.Time
	Logger   *slog.Logger
}

// Controller owns every state change of a job run: the API only creates
// runs and records cancel requests.
type Controller struct {
	store    Store
	runtimes map[string]runtime.Runtime // by registered cluster id (containerProvider.id)
	opts     Options
	queue    workqueue.TypedRateLimitingInterface[string]
}

// New returns a controller over st that runs job runs on runtimes, keyed by
// the cluster id a virtual cluster's containerProvider names.
func New(st Store, runtimes map[string]runtime.Runtime, opts Options) *Controller {
	if opts.Workers <= 0 {
		opts.Workers = 8
	}
	if opts.Resync <= 0 {
		opts.Resync = 10 * time.Second
	}
	if opts.CancelPoll <= 0 {
		opts.CancelPoll = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	// Per-item exponential back-off only: a failing run must not slow the others.
	limiter := workqueue.NewTypedItemExponentialFailureRateLimiter[string](100*time.Millisecond, 30*time.Second)
	q := workqueue.NewTypedRateLimitingQueueWithConfig(limiter, workqueue.TypedRateLimitingQueueConfig[string]{Name: "jobruns"})
	return &Controller{store: st, runtimes: runtimes, opts: opts, queue: q}
}

// Enqueue asks for a pass over one run.
func (c *Controller) Enqueue(virtualClusterID, jobRunID string) {
	c.queue.Add(runtime.Key(virtualClusterID, jobRunID))
}

// Run processes runs until ctx ends. It starts with a full pass, so runs
// left active by a previous server are picked up.
func (c *Controller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.queue.ShutDown()

	for _, rt := range c.runtimes {
		wg.Go(func() {
			events := rt.Events()
			for {
				select {
				case <-ctx.Done():
					return
				case key := <-events:
					c.queue.Add(key)
				}
			}
		})
	}
	for range c.opts.Workers {
		wg.Go(func() {
			for c.processNext(ctx) {
			}
		})
	}
	c.resync(ctx)
	resync := time.NewTicker(c.opts.Resync)
	defer resync.Stop()
	// Cancels recorded by other servers are looked for often; alone on its
	// store, this server's API hands every cancel over at once.
	var cancels <-chan time.Time
	if c.opts.Leases != nil {
		t := time.NewTicker(c.opts.CancelPoll)
		defer t.Stop()
		cancels = t.C
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-resync.C:
			c.resync(ctx)
		case <-cancels:
			c.enqueueCancels(ctx)
		}
	}
}

// processNext runs one pass over the next run in the queue; false once the
// queue is shut down.
func (c *Controller) processNext(ctx context.Context) bool {
	key, quit := c.queue.Get()
	if quit {
		return false
	}
	defer c.queue.Done(key)
	after, err := c.reconcile(ctx, key)
	switch {
	case err != nil && ctx.Err() == nil:
		c.opts.Logger.Warn("reconcile failed; retrying", "run", key, "failures", c.queue.NumRequeues(key)+1, "err", err)
		c.observer().ReconcileFailed()
		c.queue.AddRateLimited(key)
	case after > 0:
		c.queue.Forget(key)
		c.queue.AddAfter(key, after)
	default:
		c.queue.Forget(key)
	}
	return true
}
