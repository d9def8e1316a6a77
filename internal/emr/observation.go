package emr

import "time"

// Phase is where a runtime sees the current attempt of a run.
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

// Observation is what a runtime sees of a run's current attempt.
type Observation struct {
	Phase   Phase
	Details string        // for PhaseFailed: why, in words a user can act on
	Reason  FailureReason // for PhaseFailed; USER_ERROR when empty
	// EndedAt is, for PhaseFailed, when the attempt ended if the runtime
	// knows (zero otherwise): the next attempt of a run with a retry policy
	// starts RetryBackoff after it.
	EndedAt time.Time
	// SubmittedAt is when the runtime received the attempt (zero when it
	// cannot tell): job-start-timeout counts from it, so the time a run
	// waited PENDING for capacity does not count.
	SubmittedAt time.Time
}
