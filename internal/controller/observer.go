package controller

import (
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Observer is told what the controller does, for metrics
// (metrics.Metrics); Options.Observer nil: nobody is.
type Observer interface {
	// Transitioned: the controller wrote run, whose state was from, at at,
	// through steps (nil: a run's next attempt, written whole).
	Transitioned(run *emr.JobRun, from emr.JobRunState, steps []emr.Transition, at time.Time)
	// ReconcileFailed: a pass failed and is retried.
	ReconcileFailed()
	// RuntimeFailed: a call (submit, observe, stop, collect_logs) into the
	// runtime of cluster failed.
	RuntimeFailed(cluster, operation string)
}

// observer is Options.Observer, or one that ignores everything.
func (c *Controller) observer() Observer {
	if c.opts.Observer == nil {
		return unobserved{}
	}
	return c.opts.Observer
}

type unobserved struct{}

func (unobserved) Transitioned(*emr.JobRun, emr.JobRunState, []emr.Transition, time.Time) {}
func (unobserved) ReconcileFailed()                                                       {}
func (unobserved) RuntimeFailed(string, string)                                           {}
