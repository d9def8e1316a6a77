package controller

import (
	"context"
	"errors"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Phase is where a runtime sees a run.
type Phase int

// Phases a runtime reports.
const (
	// PhaseUnknown: the runtime has nothing for the run (never submitted,
	// or everything it created is gone).
	PhaseUnknown Phase = iota
	// PhaseSubmitted: the job runner exists; the driver does not run yet.
	PhaseSubmitted
	// PhaseRunning: the Spark driver runs.
	PhaseRunning
	// PhaseSucceeded: the driver finished with exit code 0.
	PhaseSucceeded
	// PhaseFailed: the job runner or the driver failed.
	PhaseFailed
)

func (p Phase) String() string {
	return [...]string{"Unknown", "Submitted", "Running", "Succeeded", "Failed"}[p]
}

// Observation is what a runtime sees of a run.
type Observation struct {
	Phase   Phase
	Details string            // for PhaseFailed: why, in words a user can act on
	Reason  emr.FailureReason // for PhaseFailed; USER_ERROR when empty
}

// Runtime runs job runs on one registered cluster. Every method is
// idempotent and safe to call again after a restart of the server.
type Runtime interface {
	// Submit hands the run to the cluster; a run already submitted is left as it is.
	// A *SubmitError means the run can never be submitted as it is.
	Submit(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error
	// Observe reports what the cluster shows of the run.
	Observe(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (Observation, error)
	// Stop kills the run and removes what it created; gone reports that
	// nothing of it is left.
	Stop(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (gone bool, err error)
	// Events delivers the ids of runs whose observation may have changed.
	Events() <-chan string
}

// SubmitError is a submission that cannot succeed however often it is tried.
type SubmitError struct {
	Reason  emr.FailureReason
	Message string
}

func (e *SubmitError) Error() string { return e.Message }

// asSubmitError reports whether err is a *SubmitError.
func asSubmitError(err error) (*SubmitError, bool) {
	var se *SubmitError
	ok := errors.As(err, &se)
	return se, ok
}
