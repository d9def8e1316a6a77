package emr

import (
	"fmt"
	"time"
)

// Decide is the job-run state machine as one pure function: given what the
// controller knows of a run at one moment, it says what to do next. The
// controller calls it in a loop within one pass over a run: when the
// decision asks for an action (observe, submit, stop), the controller
// performs it, records the outcome in the snapshot and calls Decide again;
// when it returns transitions, the controller applies them to the run and
// writes the result; when it returns neither, the run waits (for an event,
// or for After).
//
// Decide never moves a terminal run, and every transition it returns is
// one the state diagram allows from the run's state (see JobRunState).
func Decide(s Snapshot) Decision {
	run := s.Run
	if run == nil || run.State.Terminal() {
		return Decision{}
	}
	cancel := run.CancelRequestedAt != nil
	if !s.Registered {
		if cancel || run.State == JobRunCancelPending { // nothing here can stop it
			nothingLeft := true
			d := decideStop(Snapshot{Run: run, Stopped: &nothingLeft}, cancelled())
			d.KeepLogs = false
			return d
		}
		return Decision{Steps: []Transition{{To: JobRunFailed, Reason: FailureClusterUnavailable,
			Details: fmt.Sprintf("Cluster %q is not registered with this sparkplane server.", s.Cluster)}}}
	}
	switch run.State {
	case JobRunPending:
		return decidePending(s, cancel)
	case JobRunCancelPending:
		return decideStop(s, cancelled())
	}
	// SUBMITTED or RUNNING
	if cancel {
		return Decision{Steps: []Transition{{To: JobRunCancelPending, Details: "Cancel requested."}}}
	}
	if s.Observed == nil {
		return Decision{Do: ActObserve}
	}
	return decideObserved(s)
}

// Snapshot is what the controller knows of a run during one pass: the run
// as stored, and the outcomes of the actions taken so far in this pass.
type Snapshot struct {
	Run *JobRun
	Now time.Time
	// Cluster is the id of the cluster the run's virtual cluster names, and
	// Registered whether this server has a runtime for it.
	Cluster    string
	Registered bool
	// Slot: a PENDING run may start now under its virtual cluster's
	// maxConcurrentJobRuns (it is at the head of the queue and a slot is free).
	Slot bool
	// Admit: the run's runtime admits runs (runtime.Admitter): a run with a
	// slot is submitted only once Admission says it fits (admission.go).
	Admit bool
	// Stage: the runtime also prepares the runs that wait (runtime.Stager).
	Stage bool

	// Outcomes of this pass's actions.
	Observed  *Observation // what ActObserve returned
	Submitted bool         // ActSubmit (or ActSubmitNext) succeeded
	Rejected  *Rejection   // ActSubmit (or ActSubmitNext) was refused for good
	Stopped   *bool        // ActStop ran; true when nothing of the run is left
	Admission *Admission   // what ActAdmit returned
	Staged    bool         // ActStage ran (done or not: it is best-effort)
}

// Rejection is a submission the runtime refused for good.
type Rejection struct {
	Reason  FailureReason
	Message string
}

// Action is what Decide asks the controller to do before deciding again.
type Action int

// Actions.
const (
	// ActNone: nothing to do; write Steps (or Next), if any.
	ActNone Action = iota
	// ActObserve: ask the runtime what it sees of the run (Snapshot.Observed).
	ActObserve
	// ActSubmit: hand the run to its runtime (Snapshot.Submitted or Rejected).
	ActSubmit
	// ActSubmitNext: hand Decision.Next, the run's next attempt, to the
	// runtime (Snapshot.Submitted or Rejected).
	ActSubmitNext
	// ActStop: stop the run and remove what it created (Snapshot.Stopped).
	ActStop
	// ActAdmit: ask the runtime whether the run fits now (Snapshot.Admission).
	ActAdmit
	// ActStage: have the runtime prepare a run that waits (Snapshot.Staged).
	ActStage
)

func (a Action) String() string {
	return [...]string{"none", "observe", "submit", "submit next attempt", "stop", "admit", "stage"}[a]
}

// Decision is what Decide says to do.
type Decision struct {
	Do Action
	// KeepLogs: keep the run's logs (runtime.LogCollector) before the
	// action, or before writing, since what produced them is about to go.
	KeepLogs bool
	// Steps are applied to the run in order and written at once.
	Steps []Transition
	// Next is the run's next attempt: submitted by ActSubmitNext, then, once
	// Snapshot.Submitted, written in place of the run.
	Next *JobRun
	// After asks for another pass this much later (0: none).
	After time.Duration
	// Details, with no Steps, is new stateDetails for the run, written
	// with its state unchanged (a PENDING run says what it waits for).
	Details string
}

// Idle reports whether the decision asks for nothing at all.
func (d Decision) Idle() bool {
	return d.Do == ActNone && len(d.Steps) == 0 && d.Next == nil && d.After == 0 && d.Details == ""
}

// stopRetry is how soon a stop that left something of the run is tried again.
const stopRetry = time.Second

func decidePending(s Snapshot, cancel bool) Decision {
	switch {
	case cancel:
		// Normally nothing was submitted, but a pass that crashed between
		// submitting and writing SUBMITTED leaves a submitted PENDING run:
		// stop (a no-op otherwise), then cancelled in one write.
		return decideStop(s, cancelled())
	case s.Rejected != nil:
		failed := Transition{To: JobRunFailed, Reason: s.Rejected.Reason, Details: s.Rejected.Message}
		if s.Stage { // remove what staging created, if anything
			return decideStop(s, failed)
		}
		return Decision{Steps: []Transition{failed}}
	case s.Submitted:
		return Decision{Steps: []Transition{submitted(s)}}
	case s.Slot && s.Admit:
		d := decideAdmission(s)
		if d.Do == ActNone && s.Stage && !s.Staged { // it waits: prepare it first
			return Decision{Do: ActStage}
		}
		return d
	case s.Slot:
		return Decision{Do: ActSubmit}
	case s.Stage && !s.Staged:
		return Decision{Do: ActStage}
	}
	return Decision{} // waits in its virtual cluster's queue
}

// decideStop stops the run, then moves it with final once nothing is left.
func decideStop(s Snapshot, final Transition) Decision {
	switch {
	case s.Stopped == nil:
		return Decision{Do: ActStop, KeepLogs: true}
	case !*s.Stopped:
		return Decision{After: stopRetry}
	}
	// Logs are kept again once the run is stopped: a local run's files
	// survive the stop and hold its last lines; a Kubernetes run's pods are
	// gone, so the copy kept before the stop stays.
	d := Decision{Steps: []Transition{final}, KeepLogs: true}
	if final.To == JobRunCancelled && s.Run.State != JobRunCancelPending {
		d.Steps = []Transition{{To: JobRunCancelPending, Details: "Cancel requested."}, final}
	}
	return d
}

func decideObserved(s Snapshot) Decision {
	run, obs := s.Run, s.Observed
	switch obs.Phase {
	case PhaseUnknown:
		return Decision{Steps: []Transition{{To: JobRunFailed, Reason: FailureInternal,
			Details: "Everything the run had created on the cluster disappeared before it finished."}}, KeepLogs: true}
	case PhaseSubmitted:
		// The timeout counts from the run's submission (its creation when
		// the runtime cannot tell), and bounds the first attempt only.
		if run.State != JobRunSubmitted || run.Attempt() != 1 {
			return Decision{}
		}
		limit, since := StartTimeout(run), run.CreatedAt
		if obs.SubmittedAt.After(since) {
			since = obs.SubmittedAt
		}
		if wait := since.Add(limit).Sub(s.Now); wait >= 0 {
			return Decision{After: wait + time.Millisecond}
		}
		details := fmt.Sprintf("The driver did not start within job-start-timeout (%s).", limit)
		if obs.Details != "" {
			details += " " + obs.Details
		}
		return decideStop(s, Transition{To: JobRunFailed, Reason: FailureUser, Details: details})
	case PhaseRunning:
		if run.State == JobRunSubmitted {
			return Decision{Steps: []Transition{{To: JobRunRunning}}}
		}
		return Decision{}
	case PhaseSucceeded:
		var t []Transition
		if run.State == JobRunSubmitted {
			t = append(t, Transition{To: JobRunRunning})
		}
		t = append(t, Transition{To: JobRunCompleted, Details: "Job run completed successfully."})
		return Decision{Steps: t, KeepLogs: true}
	}
	// PhaseFailed
	reason := obs.Reason
	if reason == "" {
		reason = FailureUser
	}
	if reason == FailureUser && run.CanRetry() {
		return decideRetry(s)
	}
	return Decision{Steps: []Transition{{To: JobRunFailed, Reason: reason, Details: obs.Details}}, KeepLogs: true}
}

// decideRetry starts the next attempt of a run whose current one failed and
// whose retry policy allows another, once the back-off after the failed
// attempt (RetryBackoff) has passed.
func decideRetry(s Snapshot) Decision {
	run := s.Run
	n, limit := run.Attempt(), run.RetryPolicyConfiguration.MaxAttempts
	if s.Rejected != nil {
		return Decision{Steps: []Transition{{To: JobRunFailed, Reason: s.Rejected.Reason,
			Details: fmt.Sprintf("Attempt %d could not be submitted: %s", n+1, s.Rejected.Message)}}}
	}
	details := fmt.Sprintf("Attempt %d of %d started; attempt %d failed", n+1, limit, n)
	if s.Observed.Details != "" {
		details += ": " + s.Observed.Details
	}
	next, err := run.NextAttempt(details, s.Now)
	if err != nil { // cannot happen: CanRetry held and the run is SUBMITTED or RUNNING
		return Decision{Steps: []Transition{{To: JobRunFailed, Reason: FailureInternal, Details: err.Error()}}}
	}
	if s.Submitted {
		return Decision{Next: next}
	}
	if wait := retryWait(s); wait > 0 {
		return Decision{After: wait}
	}
	return Decision{Do: ActSubmitNext, Next: next, KeepLogs: true}
}

// retryWait is how much longer the next attempt of s.Run waits: the
// back-off after its current attempt n is RetryBackoff(n), counted from
// when that attempt ended. A runtime that cannot tell when it ended (zero
// EndedAt) gets no back-off.
func retryWait(s Snapshot) time.Duration {
	ended := s.Observed.EndedAt
	if ended.IsZero() {
		return 0
	}
	wait := ended.Add(RetryBackoff(s.Run.Attempt())).Sub(s.Now)
	if wait <= 0 {
		return 0
	}
	return wait + time.Millisecond // past the moment, not on it
}

func cancelled() Transition { return Transition{To: JobRunCancelled, Details: "Job run cancelled."} }

// DefaultJobStartTimeout is how long a run may take to reach RUNNING unless
// its emr-containers-defaults classification says otherwise (EMR's default).
const DefaultJobStartTimeout = 15 * time.Minute

// maxStartTimeout caps job-start-timeout: a larger value means "never"
// (and would overflow a time.Duration).
const maxStartTimeout = 100 * 365 * 24 * time.Hour

// StartTimeout reads job-start-timeout (seconds) from the emr-containers-defaults
// classification, or from spark-defaults where some users put it.
func StartTimeout(run *JobRun) time.Duration {
	for _, cls := range []string{"emr-containers-defaults", "spark-defaults"} {
		if v, ok := run.ConfigurationOverrides.Classification(cls)["job-start-timeout"]; ok {
			var secs int
			if _, err := fmt.Sscanf(v, "%d", &secs); err == nil && secs > 0 {
				if int64(secs) > int64(maxStartTimeout/time.Second) {
					return maxStartTimeout
				}
				return time.Duration(secs) * time.Second
			}
		}
	}
	return DefaultJobStartTimeout
}
