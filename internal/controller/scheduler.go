package controller

import (
	"context"
	"slices"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// hasSlot reports whether a PENDING run may be submitted under its virtual
// cluster's maxConcurrentJobRuns: fewer runs SUBMITTED or RUNNING than the
// limit, and the run among the oldest pending ones that fit (first in,
// first out). Without a limit every run may go.
//
// The head of the queue is read before the count of active runs: runs only
// leave PENDING for SUBMITTED or RUNNING (or an end), so every run older
// than this one that left the queue before the head was read is counted
// as active, or has ended. Read the other way round, a run submitted in
// between would be in neither, and the next run would take its slot too.
func (c *Controller) hasSlot(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (bool, error) {
	limit, _ := vc.SchedulerConfiguration.Limits()
	if limit == 0 {
		return true, nil
	}
	head, err := c.store.PendingJobRuns(ctx, vc.ID, limit)
	if err != nil {
		return false, err
	}
	pos := slices.IndexFunc(head, func(r *emr.JobRun) bool { return r.ID == run.ID })
	if pos < 0 {
		return false, nil
	}
	active, err := c.store.CountJobRuns(ctx, vc.ID, emr.JobRunSubmitted, emr.JobRunRunning)
	if err != nil {
		return false, err
	}
	return pos < limit-active, nil
}

// WakeQueue asks for a look at the head of a virtual cluster's queue: a
// run was added to it, or its limits changed. Wakes of one cluster that
// come while one waits are one look.
func (c *Controller) WakeQueue(virtualClusterID string) {
	c.queue.Add(virtualClusterID)
}

// wakeQueue queues a pass over the runs at the head of a virtual cluster's
// queue that may start now: as many as it has free slots, or a page of
// them when it has no limit. more reports a full page: look again soon.
func (c *Controller) wakeQueue(ctx context.Context, vcID string) (more bool, err error) {
	vc, err := c.store.GetVirtualCluster(ctx, vcID)
	if err != nil {
		return false, err
	}
	free := resyncPage
	if limit, _ := vc.SchedulerConfiguration.Limits(); limit > 0 {
		active, err := c.store.CountJobRuns(ctx, vcID, emr.JobRunSubmitted, emr.JobRunRunning)
		if err != nil {
			return false, err
		}
		free = limit - active
	}
	if c.admits(vc) {
		free = min(free, 1) // only the head may be admitted
	}
	if free <= 0 {
		return false, nil
	}
	head, err := c.store.PendingJobRuns(ctx, vcID, free)
	if err != nil {
		return false, err
	}
	for _, r := range head {
		c.Enqueue(vcID, r.ID)
	}
	return len(head) == resyncPage, nil
}
