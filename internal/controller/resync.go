package controller

import (
	"context"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// resyncPage is how many runs one query of the resync reads.
const resyncPage = 500

// resync is the safety net behind the events: it queues a pass over every
// run that may need one — those submitted to a runtime, those with a cancel
// request, the heads of the virtual clusters' queues, and the runs whose
// lease this server holds — reading them a page at a time. A PENDING run
// behind its virtual cluster's limit is not looked at, so a deep queue
// costs nothing here.
func (c *Controller) resync(ctx context.Context) {
	active := []emr.JobRunState{emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunCancelPending}
	err := c.enqueuePages(ctx, func(after string) ([]*emr.JobRun, error) {
		return c.store.JobRunsInStates(ctx, active, after, resyncPage)
	})
	if err == nil {
		err = c.enqueueHeads(ctx)
	}
	if err != nil && ctx.Err() == nil {
		c.opts.Logger.Error("resync failed", "err", err)
	}
	c.enqueueCancels(ctx)
	for _, key := range c.opts.Leases.keys() {
		c.queue.Add(key)
	}
}

// enqueueCancels queues the runs whose cancel was recorded (by any server)
// and not acted on yet.
func (c *Controller) enqueueCancels(ctx context.Context) {
	err := c.enqueuePages(ctx, func(after string) ([]*emr.JobRun, error) {
		return c.store.CancelRequestedJobRuns(ctx, after, resyncPage)
	})
	if err != nil && ctx.Err() == nil {
		c.opts.Logger.Error("looking for cancel requests failed", "err", err)
	}
}

// enqueueHeads queues a look at the head of the queue of each virtual
// cluster that has PENDING runs.
func (c *Controller) enqueueHeads(ctx context.Context) error {
	ids, err := c.store.QueuedVirtualClusters(ctx)
	if err != nil {
		return err
	}
	for _, id := range ids {
		c.WakeQueue(id)
	}
	return nil
}

// enqueuePages queues every run that page returns, page after page.
func (c *Controller) enqueuePages(ctx context.Context, page func(after string) ([]*emr.JobRun, error)) error {
	after := ""
	for ctx.Err() == nil {
		runs, err := page(after)
		if err != nil {
			return err
		}
		for _, r := range runs {
			c.Enqueue(r.VirtualClusterID, r.ID)
		}
		if len(runs) < resyncPage {
			return nil
		}
		after = runs[len(runs)-1].ID
	}
	return ctx.Err()
}
