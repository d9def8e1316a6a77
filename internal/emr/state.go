package emr

import (
	"fmt"
	"slices"
	"time"
)

// JobRunState is the lifecycle state of a job run.
//
//	PENDING ──► SUBMITTED ──► RUNNING ──► COMPLETED
//	   │            │            │
//	   └────────────┴────────────┴──► FAILED
//	   │            │            │
//	   └────────────┴────────────┴──► CANCEL_PENDING ──► CANCELLED
//
// PENDING: accepted, not yet handed to a runtime. SUBMITTED: the runtime has
// the run (job-runner or spark-submit process exists). RUNNING: the Spark
// driver runs. A RUNNING run may go back to SUBMITTED when a retry policy
// starts a new driver attempt.
type JobRunState string

// Job run states of the service model.
const (
	JobRunPending       JobRunState = "PENDING"
	JobRunSubmitted     JobRunState = "SUBMITTED"
	JobRunRunning       JobRunState = "RUNNING"
	JobRunFailed        JobRunState = "FAILED"
	JobRunCancelled     JobRunState = "CANCELLED"
	JobRunCancelPending JobRunState = "CANCEL_PENDING"
	JobRunCompleted     JobRunState = "COMPLETED"
)

// JobRunStates lists every state, in lifecycle order.
var JobRunStates = []JobRunState{
	JobRunPending, JobRunSubmitted, JobRunRunning, JobRunFailed,
	JobRunCancelled, JobRunCancelPending, JobRunCompleted,
}

// Valid reports whether s is a state of the model.
func (s JobRunState) Valid() bool {
	for _, v := range JobRunStates {
		if s == v {
			return true
		}
	}
	return false
}

// Terminal reports whether a run in state s is finished for good.
func (s JobRunState) Terminal() bool {
	return s == JobRunCompleted || s == JobRunFailed || s == JobRunCancelled
}

// Cancellable reports whether CancelJobRun applies to a run in state s.
func (s JobRunState) Cancellable() bool {
	return s == JobRunPending || s == JobRunSubmitted || s == JobRunRunning
}

// legal lists, for each state, the states a run may move to from it.
var legal = map[JobRunState][]JobRunState{
	JobRunPending:       {JobRunSubmitted, JobRunFailed, JobRunCancelPending},
	JobRunSubmitted:     {JobRunRunning, JobRunFailed, JobRunCancelPending},
	JobRunRunning:       {JobRunCompleted, JobRunFailed, JobRunCancelPending, JobRunSubmitted},
	JobRunCancelPending: {JobRunCancelled},
}

// CanTransition reports whether a run may move from one state to another.
func CanTransition(from, to JobRunState) bool {
	for _, s := range legal[from] {
		if s == to {
			return true
		}
	}
	return false
}

// FailureReason says why a run FAILED.
type FailureReason string

// Failure reasons of the service model.
const (
	FailureInternal           FailureReason = "INTERNAL_ERROR"
	FailureUser               FailureReason = "USER_ERROR"
	FailureValidation         FailureReason = "VALIDATION_ERROR"
	FailureClusterUnavailable FailureReason = "CLUSTER_UNAVAILABLE"
)

// maxStateDetails is the model's limit on stateDetails.
const maxStateDetails = 256

// Transition describes one state change of a job run.
type Transition struct {
	To      JobRunState
	Details string        // stateDetails; kept as it was when empty
	Reason  FailureReason // only for FAILED
}

// Apply moves the run to t.To at time now, or returns an error and leaves the
// run untouched when the model forbids the change. It is the only way a
// run's state changes.
func (r *JobRun) Apply(t Transition, now time.Time) error {
	if !CanTransition(r.State, t.To) {
		return fmt.Errorf("job run %s: illegal transition %s -> %s", r.ID, r.State, t.To)
	}
	if t.Reason != "" && t.To != JobRunFailed {
		return fmt.Errorf("job run %s: failure reason %s given for state %s", r.ID, t.Reason, t.To)
	}
	if t.To == JobRunFailed && t.Reason == "" {
		t.Reason = FailureInternal
	}
	r.State = t.To
	r.FailureReason = t.Reason
	if t.Details != "" {
		r.StateDetails = TruncateDetails(t.Details)
	}
	if t.To.Terminal() {
		at := now.UTC().Truncate(time.Millisecond)
		r.FinishedAt = &at
	}
	change := NewJobRunStateChange(r, 0)
	change.At = now
	r.Changes = append(slices.Clip(r.Changes), change) // never into a copy's array
	return nil
}

// TruncateDetails shortens s to the model's 256-character limit on stateDetails,
// keeping its end, where the cause of a failure usually is.
func TruncateDetails(s string) string {
	rs := []rune(s)
	if len(rs) <= maxStateDetails {
		return s
	}
	return "…" + string(rs[len(rs)-maxStateDetails+1:])
}

// Reachable reports whether a run can get from one state to another through
// one or more legal transitions (a controller may apply several before it
// writes, e.g. SUBMITTED → RUNNING → COMPLETED for a short job).
func Reachable(from, to JobRunState) bool {
	seen := map[JobRunState]bool{from: true}
	next := []JobRunState{from}
	for len(next) > 0 {
		s := next[0]
		next = next[1:]
		for _, t := range legal[s] {
			if t == to {
				return true
			}
			if !seen[t] {
				seen[t] = true
				next = append(next, t)
			}
		}
	}
	return false
}

// Attempt is the number of the run's current driver attempt, from 1.
func (r *JobRun) Attempt() int {
	if r.RetryPolicyExecution == nil || r.RetryPolicyExecution.CurrentAttemptCount < 1 {
		return 1
	}
	return r.RetryPolicyExecution.CurrentAttemptCount
}

// CanRetry reports whether the run's retry policy allows another attempt.
func (r *JobRun) CanRetry() bool {
	return r.RetryPolicyConfiguration != nil && r.Attempt() < r.RetryPolicyConfiguration.MaxAttempts
}

// NextAttempt returns a copy of the run on its next attempt: SUBMITTED (the
// new attempt's job runner exists once the runtime submitted it) with
// details saying why. The run itself is not changed.
func (r *JobRun) NextAttempt(details string, now time.Time) (*JobRun, error) {
	if !r.CanRetry() {
		return nil, fmt.Errorf("job run %s: no attempt left", r.ID)
	}
	next := *r
	next.RetryPolicyExecution = &RetryPolicyExecution{CurrentAttemptCount: r.Attempt() + 1}
	if next.State == JobRunRunning {
		if err := next.Apply(Transition{To: JobRunSubmitted}, now); err != nil {
			return nil, err
		}
	} else if next.State != JobRunSubmitted {
		return nil, fmt.Errorf("job run %s: cannot retry from %s", r.ID, r.State)
	}
	next.StateDetails = TruncateDetails(details)
	next.Changes = r.Changes // the store records the one change as written, with these details
	return &next, nil
}
