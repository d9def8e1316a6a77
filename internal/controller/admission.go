package controller

import (
	"context"
	"errors"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Admission (runtime.Admitter): on a runtime that admits runs, a virtual
// cluster's queue is strictly first in, first out. Only its oldest PENDING
// run (the head) may be submitted, within maxConcurrentJobRuns, and only
// once the runtime admits it; a head that does not fit stays PENDING,
// saying why in its stateDetails, and the runs behind it wait too, so a
// large run is never overtaken for ever by smaller ones. Once the head is
// submitted, the next run becomes the head and is looked at at once.
// Virtual clusters are independent queues: their heads compete for the
// same capacity in the order they are looked at. On a runtime.Stager, a
// run that waits is staged first (emr.ActStage): when StartJobRun queues
// it, and whenever it heads the queue without fitting.

// admits reports whether the runtime of vc's cluster admits runs.
func (c *Controller) admits(vc *emr.VirtualCluster) bool {
	_, ok := c.runtimes[vc.ContainerProvider.ID].(runtime.Admitter)
	return ok
}

// slot reports whether the PENDING run may be submitted now as far as its
// virtual cluster's queue is concerned, and whether its runtime must admit
// it first: hasSlot, or, on a runtime that admits runs, admissionSlot.
func (p *pass) slot(ctx context.Context, run *emr.JobRun) (slot, admit bool, err error) {
	if _, admit = p.rt.(runtime.Admitter); !admit {
		slot, err = p.c.hasSlot(ctx, p.vc, run)
		return slot, false, err
	}
	slot, err = p.c.admissionSlot(ctx, p.vc, run)
	return slot, true, err
}

// admissionSlot reports whether run is the head of its virtual cluster's
// queue and the cluster has a free slot under maxConcurrentJobRuns (if
// any). As in hasSlot, the head is read before the active runs are counted.
func (c *Controller) admissionSlot(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (bool, error) {
	head, err := c.store.PendingJobRuns(ctx, vc.ID, 1)
	if err != nil || len(head) == 0 || head[0].ID != run.ID {
		return false, err
	}
	limit, _ := vc.SchedulerConfiguration.Limits()
	if limit == 0 {
		return true, nil
	}
	active, err := c.store.CountJobRuns(ctx, vc.ID, emr.JobRunSubmitted, emr.JobRunRunning)
	return active < limit, err
}

// admit asks the runtime whether the run fits now (emr.ActAdmit).
func (p *pass) admit(ctx context.Context) error {
	a, err := p.rt.(runtime.Admitter).Admit(ctx, p.vc, p.snap.Run)
	if err != nil {
		p.c.observer().RuntimeFailed(p.snap.Cluster, "admit")
		return fmt.Errorf("admit %s: %w", p.key, err)
	}
	p.snap.Admission = &a
	return nil
}

// writeDetails writes new stateDetails for the run, its state unchanged
// (what a PENDING run waits for). A run that changed meanwhile, or whose
// lease this server lost, gets another pass instead.
func (p *pass) writeDetails(ctx context.Context, details string) error {
	run := p.snap.Run
	next := *run
	next.StateDetails = details
	next.Changes = nil // no state change, no event
	if !p.c.opts.Leases.holds(run.VirtualClusterID, run.ID) {
		p.c.queue.Add(p.key)
		return nil
	}
	err := p.c.store.UpdateJobRun(ctx, &next, run.State)
	if errors.Is(err, store.ErrConflict) {
		p.c.queue.Add(p.key)
		return nil
	}
	if err != nil {
		return err
	}
	p.c.opts.Logger.Info("job run waits", "run", p.key, "state", next.State, "details", details)
	p.snap.Run = &next
	return nil
}

// stage has the runtime prepare a run that waits (emr.ActStage); a failure
// is logged, and the run waits as it would have.
func (p *pass) stage(ctx context.Context) {
	p.snap.Staged = true
	if err := p.rt.(runtime.Stager).Stage(ctx, p.vc, p.snap.Run); err != nil {
		p.c.observer().RuntimeFailed(p.snap.Cluster, "stage")
		p.c.opts.Logger.Warn("could not stage the waiting run", "run", p.key, "err", err)
	}
}
