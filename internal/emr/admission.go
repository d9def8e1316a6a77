package emr

import "time"

// Admission is a runtime's answer to whether a PENDING run fits on its
// cluster now: its driver and minimum executors (and, in job-runner mode,
// its job runner) can be placed on the nodes' free capacity and under the
// namespace's quota.
type Admission struct {
	OK bool
	// Waiting says, when not OK, what the run waits for; it becomes the
	// run's stateDetails.
	Waiting string
}

// AdmissionRecheck is how often a run waiting for capacity is looked at
// again when no event said that capacity may have freed.
const AdmissionRecheck = 10 * time.Second

// admittedDetails replace a waiting run's stateDetails once it is submitted.
const admittedDetails = "Submitted once the cluster had room for its driver and executors."

// decideAdmission decides for a PENDING run at the head of its queue on a
// runtime that admits runs: ask the runtime, then submit the run or leave
// it waiting, saying why (written only when the reason changed).
func decideAdmission(s Snapshot) Decision {
	switch a := s.Admission; {
	case a == nil:
		return Decision{Do: ActAdmit}
	case a.OK:
		return Decision{Do: ActSubmit}
	default:
		d := Decision{After: AdmissionRecheck}
		if why := TruncateDetails(a.Waiting); why != "" && why != s.Run.StateDetails {
			d.Details = why
		}
		return d
	}
}

// submitted is the move of a submitted PENDING run to SUBMITTED; a run that
// waited for capacity says it no longer does.
func submitted(s Snapshot) Transition {
	t := Transition{To: JobRunSubmitted}
	if s.Admit && s.Run.StateDetails != "" {
		t.Details = admittedDetails
	}
	return t
}
