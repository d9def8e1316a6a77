// Package runtime is the contract between the controller and the places job
// runs execute: a Runtime submits, observes, stops and keeps the logs of the
// runs of one registered cluster, and reports what their processes or pods
// used to a UsageSink. The implementations are the sub-packages local (the
// embedded runtime) and kubernetes; the controller imports this package,
// never an implementation, and no implementation imports the controller.
package runtime

import (
	"context"
	"errors"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
)

// Phase and Observation are what a runtime reports of a run's current
// attempt; they are declared in package emr, whose Decide reads them.
type (
	Phase       = emr.Phase
	Observation = emr.Observation
)

// Phases a runtime reports (see emr.Phase).
const (
	PhaseUnknown   = emr.PhaseUnknown
	PhaseSubmitted = emr.PhaseSubmitted
	PhaseRunning   = emr.PhaseRunning
	PhaseSucceeded = emr.PhaseSucceeded
	PhaseFailed    = emr.PhaseFailed
)

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
	// Events delivers the keys (see Key) of runs whose observation may have changed.
	Events() <-chan string
}

// LogCollector is a Runtime that keeps a run's logs once it ends, before
// what produced them is removed.
type LogCollector interface {
	CollectLogs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error
}

// UsageSink receives what runs used, for cost reports: a record per pod (or
// local process) attempt, written when it starts and again when it ends,
// and the nodes they ran on. The store's metering implements it.
type UsageSink interface {
	RecordUsage(ctx context.Context, u cost.Usage) error
	RecordNode(ctx context.Context, n cost.Node) error
}

// SubmitError is a submission that cannot succeed however often it is tried.
type SubmitError struct {
	Reason  emr.FailureReason
	Message string
}

func (e *SubmitError) Error() string { return e.Message }

// AsSubmitError reports whether err is a *SubmitError.
func AsSubmitError(err error) (*SubmitError, bool) {
	var se *SubmitError
	ok := errors.As(err, &se)
	return se, ok
}

// Key is how the controller and the runtimes name a run.
func Key(virtualClusterID, jobRunID string) string { return virtualClusterID + "/" + jobRunID }
