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
