// Package runtime is the contract between the controller and the places job
// runs execute: a Runtime submits, observes, stops and keeps the logs of the
// runs of one registered cluster, and reports what their processes or pods
// used to a UsageSink. The implementations are the sub-packages local (the
// embedded runtime) and kubernetes; the controller imports this package,
// never an implementation, and no implementation imports the controller.
//
// Where a run's logs live (see logs.go): while an attempt runs, only in its
// runtime, which serves them through LiveLogs. A local run's stdout and
// stderr are files in its run folder, so only a server that sees that
// folder (the one running it, or one sharing its data directory) can serve
// them; a Kubernetes run's job runner and driver logs are read from the
// cluster's API server, which every server reaches. When an attempt ends,
// the controller calls CollectLogs before anything is removed, and the
// runtime puts each stream (its last MaxArchivedLog bytes, 16 MiB) into the
// LogArchive, the store: from then on every server sharing the store reads
// them, whichever ran the run. LogSource is what the API reads through:
// the archived copy for a run that has ended, the live logs otherwise or
// when nothing was archived. A run with monitoringConfiguration also has
// every container's logs shipped (package logship) while it runs, which
// the API reads through logship.Source over LogSource.
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

// LogCollector is a Runtime that archives the logs of a run's current
// attempt when it ends, before what produced them is removed: each stream
// goes into the LogArchive the runtime was given (none: nothing is kept
// beyond what the runtime itself keeps). It is best-effort; a stream that
// does not exist is skipped.
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
