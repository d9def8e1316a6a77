package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
)

// maxSteps bounds the actions of one pass (observe, submit, stop, write…);
// a run that needs more gets another pass.
const maxSteps = 8

// reconcile makes one pass over a run (a key made by runtime.Key) or over
// the head of a virtual cluster's queue (a key that is its id). A pass over
// a run reads it, asks emr.Decide what to do, performs the actions it asks
// for, and writes the transitions it returns. It returns how soon the run
// wants another pass (0: when an event comes).
func (c *Controller) reconcile(ctx context.Context, key string) (time.Duration, error) {
	vcID, id, isRun := strings.Cut(key, "/")
	if !isRun { // a virtual cluster's queue
		more, err := c.wakeQueue(ctx, vcID)
		if more {
			return 100 * time.Millisecond, err
		}
		return 0, err
	}
	run, err := c.store.GetJobRun(ctx, vcID, id)
	if errors.Is(err, store.ErrNotFound) || err == nil && run.State.Terminal() {
		c.opts.Leases.let(ctx, vcID, id) // the run ended, here or elsewhere
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	vc, err := c.store.GetVirtualCluster(ctx, vcID)
	if err != nil {
		return 0, err
	}
	p := &pass{c: c, vc: vc, key: key}
	p.rt, p.snap.Registered = c.runtimes[vc.ContainerProvider.ID]
	p.snap.Cluster = vc.ContainerProvider.ID
	if err := p.reset(ctx, run); err != nil {
		return 0, err
	}
	// A run that needs nothing (a PENDING run behind its virtual cluster's
	// limit) is left without taking its lease; a run this server already
	// holds costs no lease write either (hold keeps a fresh lease). Staging
	// needs no lease either (it is idempotent): a run behind the head is
	// staged, then left.
	d := emr.Decide(p.snap)
	if d.Do == emr.ActStage {
		p.stage(ctx)
		d = emr.Decide(p.snap)
	}
	if d.Idle() {
		return 0, nil
	}
	if held, err := c.opts.Leases.hold(ctx, vcID, id); err != nil || !held {
		return 0, err // another server drives it
	}
	if c.opts.Leases != nil { // re-read: the previous holder may have moved it
		if run, err = c.store.GetJobRun(ctx, vcID, id); err != nil {
			return 0, err
		}
		if err := p.reset(ctx, run); err != nil {
			return 0, err
		}
	}
	return p.drive(ctx)
}

// pass is one reconcile of one run.
type pass struct {
	c    *Controller
	vc   *emr.VirtualCluster
	rt   runtime.Runtime
	key  string
	snap emr.Snapshot
}

// reset starts the snapshot over from run as stored.
func (p *pass) reset(ctx context.Context, run *emr.JobRun) error {
	p.snap = emr.Snapshot{Run: run, Now: p.c.opts.Now(), Cluster: p.snap.Cluster, Registered: p.snap.Registered}
	if run.State == emr.JobRunPending && run.CancelRequestedAt == nil && p.snap.Registered {
		slot, admit, err := p.slot(ctx, run)
		if err != nil {
			return err
		}
		p.snap.Slot, p.snap.Admit = slot, admit
		_, p.snap.Stage = p.rt.(runtime.Stager)
	}
	return nil
}

// drive performs the decisions of emr.Decide until the run waits.
func (p *pass) drive(ctx context.Context) (time.Duration, error) {
	for range maxSteps {
		d := emr.Decide(p.snap)
		if d.KeepLogs {
			p.keepLogs(ctx)
		}
		if d.Do != emr.ActNone {
			if err := p.act(ctx, d); err != nil {
				return 0, err
			}
			continue
		}
		if d.Details != "" && len(d.Steps) == 0 && d.Next == nil {
			return d.After, p.writeDetails(ctx, d.Details)
		}
		if len(d.Steps) == 0 && d.Next == nil {
			return d.After, nil
		}
		written, err := p.write(ctx, d)
		if err != nil || !written {
			return 0, err
		}
		if p.snap.Run.State.Terminal() {
			return 0, nil
		}
		if err := p.reset(ctx, p.snap.Run); err != nil {
			return 0, err
		}
	}
	return time.Millisecond, nil // more to do: another pass
}

// act performs the action d asks for and records its outcome.
func (p *pass) act(ctx context.Context, d emr.Decision) error {
	run := p.snap.Run
	switch d.Do {
	case emr.ActObserve:
		obs, err := p.rt.Observe(ctx, p.vc, run)
		if err != nil {
			p.c.observer().RuntimeFailed(p.snap.Cluster, "observe")
			return fmt.Errorf("observe %s: %w", p.key, err)
		}
		p.snap.Observed = &obs
	case emr.ActSubmit, emr.ActSubmitNext:
		target := run
		if d.Do == emr.ActSubmitNext {
			target = d.Next
		}
		err := p.rt.Submit(ctx, p.vc, target)
		if se, ok := runtime.AsSubmitError(err); ok {
			p.snap.Rejected = &emr.Rejection{Reason: se.Reason, Message: se.Message}
			return nil
		}
		if err != nil {
			p.c.observer().RuntimeFailed(p.snap.Cluster, "submit")
			return fmt.Errorf("submit %s (attempt %d): %w", p.key, target.Attempt(), err)
		}
		p.snap.Submitted = true
	case emr.ActAdmit:
		return p.admit(ctx)
	case emr.ActStage:
		p.stage(ctx)
	case emr.ActStop:
		gone, err := p.rt.Stop(ctx, p.vc, run)
		if err != nil {
			p.c.observer().RuntimeFailed(p.snap.Cluster, "stop")
			return fmt.Errorf("stop %s: %w", p.key, err)
		}
		p.snap.Stopped = &gone
	}
	return nil
}

// keepLogs asks the runtime to keep the run's logs before what produced
// them goes; a failure is logged, never fatal to the run.
func (p *pass) keepLogs(ctx context.Context) {
	lc, ok := p.rt.(runtime.LogCollector)
	if !ok {
		return
	}
	if err := lc.CollectLogs(ctx, p.vc, p.snap.Run); err != nil {
		p.c.opts.Logger.Warn("could not keep the run's logs", "run", p.key, "err", err)
		p.c.observer().RuntimeFailed(p.snap.Cluster, "collect_logs")
	}
}

// write applies d's transitions (or its next attempt) to the run and writes
// it, guarded by the state it had. false: the run changed meanwhile (or
// this server lost its lease) and another pass is queued.
func (p *pass) write(ctx context.Context, d emr.Decision) (bool, error) {
	run := p.snap.Run
	from := run.State
	next := d.Next
	if next == nil {
		copied := *run
		next = &copied
		for _, t := range d.Steps {
			if err := next.Apply(t, p.snap.Now); err != nil {
				return false, err
			}
		}
	}
	if !p.c.opts.Leases.holds(run.VirtualClusterID, run.ID) {
		p.c.queue.Add(p.key)
		return false, nil
	}
	err := p.c.store.UpdateJobRun(ctx, next, from)
	if errors.Is(err, store.ErrConflict) {
		p.c.queue.Add(p.key)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	log := p.c.opts.Logger
	if d.Next != nil {
		log.Info("job run retried", "run", p.key, "attempt", next.Attempt(), "of", next.RetryPolicyConfiguration.MaxAttempts)
	} else {
		log.Info("job run state changed", "run", p.key, "from", from, "to", next.State, "details", next.StateDetails)
	}
	p.c.observer().Transitioned(next, from, d.Steps, p.snap.Now) // Steps: nil with Next
	p.snap.Run = next
	if from == emr.JobRunPending && p.snap.Admit {
		p.c.WakeQueue(run.VirtualClusterID) // the next run is the head now
	}
	if next.State.Terminal() {
		p.c.opts.Leases.let(ctx, run.VirtualClusterID, run.ID)
		p.c.WakeQueue(run.VirtualClusterID) // a slot is free
	}
	return true, nil
}
