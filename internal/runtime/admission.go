package runtime

import (
	"context"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Admission is a runtime's answer to whether a run fits now (see emr.Admission).
type Admission = emr.Admission

// Admitter is a Runtime that submits a run only when it can start: the
// controller asks Admit before it submits the run at the head of its
// virtual cluster's queue, and a run that does not fit stays PENDING,
// with Admission.Waiting as its stateDetails, blocking the runs queued
// behind it (first in, first out). An admitted run is expected to be
// submitted at once: the runtime keeps room for it until its pods are
// placed. A runtime whose capacity is not a concern (the local one) does
// not implement it and every run with a slot is submitted.
//
// The runtime's Events also deliver the keys of the runs that wait, when
// capacity may have freed; the controller looks again every
// emr.AdmissionRecheck anyway.
type Admitter interface {
	Admit(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (Admission, error)
}

// Stager is an Admitter that prepares a run while it waits for admission:
// the controller asks Stage once per pass of a PENDING run that is not
// submitted (behind the head of its queue, or the head refused), and
// Submit, once the run is admitted, releases what Stage prepared. What is
// staged must not use the cluster's capacity (the Kubernetes runtime
// creates a native run's driver pod with a scheduling gate). Stage is
// idempotent and best-effort: it may prepare nothing, and its error only
// delays the preparation, never the run.
type Stager interface {
	Admitter
	Stage(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error
}
