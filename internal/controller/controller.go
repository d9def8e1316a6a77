package controller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Store is what the controller needs of the store.
type Store interface {
	GetVirtualCluster(ctx context.Context, id string) (*emr.VirtualCluster, error)
	GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error)
	ActiveJobRuns(ctx context.Context) ([]*emr.JobRun, error)
	UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error
	CountJobRuns(ctx context.Context, virtualClusterID string, states ...emr.JobRunState) (int, error)
	PendingJobRuns(ctx context.Context, virtualClusterID string, limit int) ([]*emr.JobRun, error)
}

// DefaultJobStartTimeout is how long a run may take to reach RUNNING unless
// its emr-containers-defaults classification says otherwise (EMR's default).
const DefaultJobStartTimeout = 15 * time.Minute

// Options tune a Controller; zero values pick the defaults.
type Options struct {
	Workers int           // concurrent reconciles; default 4
	Resync  time.Duration // period of the full pass over active runs; default 10 s
	Now     func() time.Time
	Logger  *slog.Logger
}

// Controller owns every state change of a job run after PENDING.
type Controller struct {
	store    Store
	runtimes map[string]runtime.Runtime // by registered cluster id (containerProvider.id)
	opts     Options
	q        *queue

	mu       sync.Mutex
	failures map[string]int // consecutive errors per key, for back-off
}

// New returns a controller over st that runs job runs on runtimes, keyed by
// the cluster id a virtual cluster's containerProvider names.
func New(st Store, runtimes map[string]runtime.Runtime, opts Options) *Controller {
	if opts.Workers <= 0 {
		opts.Workers = 4
	}
	if opts.Resync <= 0 {
		opts.Resync = 10 * time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Controller{store: st, runtimes: runtimes, opts: opts, q: newQueue(), failures: map[string]int{}}
}

// Enqueue asks for a pass over one run.
func (c *Controller) Enqueue(virtualClusterID, jobRunID string) {
	c.q.add(runtime.Key(virtualClusterID, jobRunID))
}

// Run processes runs until ctx ends. It starts with a full pass, so runs
// left active by a previous server are picked up.
func (c *Controller) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	defer wg.Wait()
	defer c.q.close()

	for _, rt := range c.runtimes {
		wg.Add(1)
		go func(events <-chan string) {
			defer wg.Done()
			for {
				select {
				case <-ctx.Done():
					return
				case key := <-events:
					c.q.add(key)
				}
			}
		}(rt.Events())
	}
	for range c.opts.Workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				key, ok := c.q.get()
				if !ok {
					return
				}
				c.process(ctx, key)
			}
		}()
	}
	c.resync(ctx)
	tick := time.NewTicker(c.opts.Resync)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
			c.resync(ctx)
		}
	}
}

func (c *Controller) resync(ctx context.Context) {
	runs, err := c.store.ActiveJobRuns(ctx)
	if err != nil {
		if ctx.Err() == nil {
			c.opts.Logger.Error("resync failed", "err", err)
		}
		return
	}
	for _, r := range runs {
		c.q.add(runtime.Key(r.VirtualClusterID, r.ID))
	}
}

func (c *Controller) process(ctx context.Context, key string) {
	defer c.q.done(key)
	err := c.reconcile(ctx, key)
	c.mu.Lock()
	defer c.mu.Unlock()
	if err == nil || ctx.Err() != nil {
		delete(c.failures, key)
		return
	}
	n := c.failures[key]
	c.failures[key] = n + 1
	delay := min(100*time.Millisecond<<min(n, 9), 30*time.Second)
	c.opts.Logger.Warn("reconcile failed; retrying", "run", key, "in", delay, "err", err)
	time.AfterFunc(delay, func() { c.q.add(key) })
}

// reconcile makes at most a few legal transitions of one run, according
// to what its runtime observes.
func (c *Controller) reconcile(ctx context.Context, key string) error {
	vcID, id, _ := strings.Cut(key, "/")
	run, err := c.store.GetJobRun(ctx, vcID, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil
	}
	if err != nil {
		return err
	}
	if run.State.Terminal() {
		return nil
	}
	vc, err := c.store.GetVirtualCluster(ctx, vcID)
	if err != nil {
		return err
	}
	rt, ok := c.runtimes[vc.ContainerProvider.ID]
	if !ok {
		if run.State == emr.JobRunCancelPending {
			return c.move(ctx, key, run, emr.Transition{To: emr.JobRunCancelled, Details: "Job run cancelled."})
		}
		return c.move(ctx, key, run, emr.Transition{To: emr.JobRunFailed, Reason: emr.FailureClusterUnavailable,
			Details: fmt.Sprintf("Cluster %q is not registered with this sparkplane server.", vc.ContainerProvider.ID)})
	}

	switch run.State {
	case emr.JobRunPending:
		if ok, err := c.hasSlot(ctx, vc, run); err != nil || !ok {
			return err // it waits in its virtual cluster's queue
		}
		return c.submit(ctx, key, rt, vc, run)
	case emr.JobRunSubmitted, emr.JobRunRunning:
		return c.observe(ctx, key, rt, vc, run)
	case emr.JobRunCancelPending:
		c.collectLogs(ctx, rt, vc, run)
		gone, err := rt.Stop(ctx, vc, run)
		if err != nil {
			return fmt.Errorf("stop %s: %w", key, err)
		}
		if !gone {
			time.AfterFunc(time.Second, func() { c.q.add(key) })
			return nil
		}
		return c.move(ctx, key, run, emr.Transition{To: emr.JobRunCancelled, Details: "Job run cancelled."})
	}
	return nil
}

func (c *Controller) submit(ctx context.Context, key string, rt runtime.Runtime, vc *emr.VirtualCluster, run *emr.JobRun) error {
	if err := rt.Submit(ctx, vc, run); err != nil {
		if se, ok := runtime.AsSubmitError(err); ok {
			return c.move(ctx, key, run, emr.Transition{To: emr.JobRunFailed, Reason: se.Reason, Details: se.Message})
		}
		return fmt.Errorf("submit %s: %w", key, err)
	}
	if err := c.move(ctx, key, run, emr.Transition{To: emr.JobRunSubmitted}); err != nil {
		return err
	}
	return c.observe(ctx, key, rt, vc, run)
}

func (c *Controller) observe(ctx context.Context, key string, rt runtime.Runtime, vc *emr.VirtualCluster, run *emr.JobRun) error {
	obs, err := rt.Observe(ctx, vc, run)
	if err != nil {
		return fmt.Errorf("observe %s: %w", key, err)
	}
	var steps []emr.Transition
	switch obs.Phase {
	case runtime.PhaseUnknown:
		steps = append(steps, emr.Transition{To: emr.JobRunFailed, Reason: emr.FailureInternal,
			Details: "Everything the run had created on the cluster disappeared before it finished."})
	case runtime.PhaseSubmitted:
		// The timeout counts from the run's creation, so it bounds the first attempt only.
		if run.State == emr.JobRunSubmitted && run.Attempt() == 1 {
			if limit := StartTimeout(run); c.opts.Now().Sub(run.CreatedAt) > limit {
				c.collectLogs(ctx, rt, vc, run)
				if _, err := rt.Stop(ctx, vc, run); err != nil {
					return fmt.Errorf("stop %s after start timeout: %w", key, err)
				}
				details := fmt.Sprintf("The driver did not start within job-start-timeout (%s).", limit)
				if obs.Details != "" {
					details += " " + obs.Details
				}
				steps = append(steps, emr.Transition{To: emr.JobRunFailed, Reason: emr.FailureUser, Details: details})
			}
		}
	case runtime.PhaseRunning:
		if run.State == emr.JobRunSubmitted {
			steps = append(steps, emr.Transition{To: emr.JobRunRunning})
		}
	case runtime.PhaseSucceeded:
		if run.State == emr.JobRunSubmitted {
			steps = append(steps, emr.Transition{To: emr.JobRunRunning})
		}
		steps = append(steps, emr.Transition{To: emr.JobRunCompleted, Details: "Job run completed successfully."})
	case runtime.PhaseFailed:
		reason := obs.Reason
		if reason == "" {
			reason = emr.FailureUser
		}
		if reason == emr.FailureUser && run.CanRetry() {
			return c.retry(ctx, key, rt, vc, run, obs.Details)
		}
		steps = append(steps, emr.Transition{To: emr.JobRunFailed, Reason: reason, Details: obs.Details})
	}
	if len(steps) == 0 {
		return nil
	}
	if steps[len(steps)-1].To.Terminal() {
		c.collectLogs(ctx, rt, vc, run)
	}
	return c.move(ctx, key, run, steps...)
}

func (c *Controller) collectLogs(ctx context.Context, rt runtime.Runtime, vc *emr.VirtualCluster, run *emr.JobRun) {
	if lc, ok := rt.(runtime.LogCollector); ok {
		if err := lc.CollectLogs(ctx, vc, run); err != nil {
			c.opts.Logger.Warn("could not keep the run's logs", "run", runtime.Key(run.VirtualClusterID, run.ID), "err", err)
		}
	}
}

// retry starts the next driver attempt of a run whose retry policy allows
// one. The failed attempt's objects stay (they name their attempt), so a
// crash between submitting the new attempt and recording it only repeats
// this: the failed attempt is observed again and the submission is a no-op.
func (c *Controller) retry(ctx context.Context, key string, rt runtime.Runtime, vc *emr.VirtualCluster, run *emr.JobRun, why string) error {
	c.collectLogs(ctx, rt, vc, run)
	n, limit := run.Attempt(), run.RetryPolicyConfiguration.MaxAttempts
	next, err := run.NextAttempt(fmt.Sprintf("Attempt %d of %d started; attempt %d failed: %s", n+1, limit, n, why), c.opts.Now())
	if err != nil {
		return err
	}
	if err := rt.Submit(ctx, vc, next); err != nil {
		if se, ok := runtime.AsSubmitError(err); ok {
			return c.move(ctx, key, run, emr.Transition{To: emr.JobRunFailed, Reason: se.Reason,
				Details: fmt.Sprintf("Attempt %d could not be submitted: %s", n+1, se.Message)})
		}
		return fmt.Errorf("submit attempt %d of %s: %w", n+1, key, err)
	}
	err = c.store.UpdateJobRun(ctx, next, run.State)
	if errors.Is(err, store.ErrConflict) {
		c.q.add(key)
		return nil
	}
	if err != nil {
		return err
	}
	c.opts.Logger.Info("job run retried", "run", key, "attempt", n+1, "of", limit)
	return nil
}

// move applies steps to run in memory and writes the result in one update,
// guarded by the state the run had. A conflict (the API cancelled the run
// meanwhile) queues another pass instead of failing.
func (c *Controller) move(ctx context.Context, key string, run *emr.JobRun, steps ...emr.Transition) error {
	from := run.State
	now := c.opts.Now()
	for _, t := range steps {
		if err := run.Apply(t, now); err != nil {
			return err
		}
	}
	err := c.store.UpdateJobRun(ctx, run, from)
	if errors.Is(err, store.ErrConflict) {
		c.q.add(key)
		return nil
	}
	if err != nil {
		return err
	}
	c.opts.Logger.Info("job run state changed", "run", key, "from", from, "to", run.State, "details", run.StateDetails)
	if run.State.Terminal() && from != emr.JobRunPending {
		c.wakeQueue(ctx, run.VirtualClusterID)
	}
	return nil
}

// StartTimeout reads job-start-timeout (seconds) from the emr-containers-defaults
// classification, or from spark-defaults where some users put it.
func StartTimeout(run *emr.JobRun) time.Duration {
	for _, cls := range []string{"emr-containers-defaults", "spark-defaults"} {
		if v, ok := run.ConfigurationOverrides.Classification(cls)["job-start-timeout"]; ok {
			var secs int
			if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs > 0 {
				return time.Duration(secs) * time.Second
			}
		}
	}
	return DefaultJobStartTimeout
}
