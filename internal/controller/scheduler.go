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
func (c *Controller) hasSlot(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (bool, error) {
	limit, _ := vc.SchedulerConfiguration.Limits()
	if limit == 0 {
		return true, nil
	}
	active, err := c.store.CountJobRuns(ctx, vc.ID, emr.JobRunSubmitted, emr.JobRunRunning)
	if err != nil {
		return false, err
	}
	free := limit - active
	if free <= 0 {
		return false, nil
	}
	head, err := c.store.PendingJobRuns(ctx, vc.ID, free)
	if err != nil {
		return false, err
	}
	return slices.ContainsFunc(head, func(r *emr.JobRun) bool { return r.ID == run.ID }), nil
}

// wakeQueue queues a pass over the runs at the head of a virtual cluster's
// queue that may start now: as many as it has free slots, or a page of
// them when it has no limit. It is called when one of its runs ends and by
// the resync; a failure is left to the next resync.
func (c *Controller) wakeQueue(ctx context.Context, vcID string) {
	vc, err := c.store.GetVirtualCluster(ctx, vcID)
	if err != nil {
		return
	}
	free := resyncPage
	if limit, _ := vc.SchedulerConfiguration.Limits(); limit > 0 {
		active, err := c.store.CountJobRuns(ctx, vcID, emr.JobRunSubmitted, emr.JobRunRunning)
		if err != nil {
			return
		}
		free = limit - active
	}
	if free <= 0 {
		return
	}
	head, err := c.store.PendingJobRuns(ctx, vcID, free)
	if err != nil {
		return
	}
	for _, r := range head {
		c.Enqueue(vcID, r.ID)
	}
}
