package emr_test

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

var (
	decideNow     = time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	decideCreated = decideNow.Add(-5 * time.Minute) // inside the default job-start-timeout
)

const decideCluster = "eks-prod-1"

// runOption shapes a run built by newRun.
type runOption func(*emr.JobRun)

// newRun is a run of the state, created 5 minutes before decideNow.
func newRun(state emr.JobRunState, opts ...runOption) *emr.JobRun {
	r := &emr.JobRun{ID: "0000000337okspsc913", VirtualClusterID: "vc0000000000000000000000a",
		State: state, CreatedAt: decideCreated, StateDetails: "Earlier details."}
	for _, o := range opts {
		o(r)
	}
	return r
}

func cancelRequested(r *emr.JobRun) {
	at := r.CreatedAt.Add(time.Second)
	r.CancelRequestedAt = &at
}

func createdAgo(d time.Duration) runOption {
	return func(r *emr.JobRun) { r.CreatedAt = decideNow.Add(-d) }
}

// onAttempt sets the retry policy; attempt 0 leaves retryPolicyExecution out.
func onAttempt(attempt, maxAttempts int) runOption {
	return func(r *emr.JobRun) {
		r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: maxAttempts}
		if attempt > 0 {
			r.RetryPolicyExecution = &emr.RetryPolicyExecution{CurrentAttemptCount: attempt}
		}
	}
}

// withTimeout adds a classification with a job-start-timeout property.
func withTimeout(classification, seconds string) runOption {
	return func(r *emr.JobRun) {
		if r.ConfigurationOverrides == nil {
			r.ConfigurationOverrides = &emr.ConfigurationOverrides{}
		}
		r.ConfigurationOverrides.ApplicationConfiguration = append(r.ConfigurationOverrides.ApplicationConfiguration,
			emr.Configuration{Classification: classification, Properties: map[string]string{"job-start-timeout": seconds}})
	}
}

func observed(p emr.Phase) *emr.Observation { return &emr.Observation{Phase: p} }

func stopped(gone bool) *bool { return &gone }

func steps(ts ...emr.Transition) emr.Decision { return emr.Decision{Steps: ts} }

// keptAndStepped: the logs are kept again once the run is stopped, then ts written.
func keptAndStepped(ts ...emr.Transition) emr.Decision {
	return emr.Decision{Steps: ts, KeepLogs: true}
}

func failedWith(reason emr.FailureReason, details string) emr.Transition {
	return emr.Transition{To: emr.JobRunFailed, Reason: reason, Details: details}
}

// retried is what NextAttempt should make of r: attempt n, SUBMITTED, with details.
func retried(r *emr.JobRun, n int, details string) *emr.JobRun {
	next := *r
	next.State = emr.JobRunSubmitted
	next.RetryPolicyExecution = &emr.RetryPolicyExecution{CurrentAttemptCount: n}
	next.StateDetails = details
	return &next
}

func describeDecision(d emr.Decision) string {
	var b strings.Builder
	fmt.Fprintf(&b, "{Do: %s", d.Do)
	if d.KeepLogs {
		b.WriteString(", KeepLogs")
	}
	for _, tr := range d.Steps {
		fmt.Fprintf(&b, ", -> %s", tr.To)
		if tr.Reason != "" {
			fmt.Fprintf(&b, "(%s)", tr.Reason)
		}
		if tr.Details != "" {
			fmt.Fprintf(&b, " %q", tr.Details)
		}
	}
	if d.Next != nil {
		fmt.Fprintf(&b, ", Next: %s attempt %d %q", d.Next.State, d.Next.Attempt(), d.Next.StateDetails)
	}
	if d.After != 0 {
		fmt.Fprintf(&b, ", After: %s", d.After)
	}
	return b.String() + "}"
}

func TestDecide(t *testing.T) {
	t.Parallel()
	const (
		exitCode1 = "Driver exited with code 1."
		noCPU     = "0/3 nodes are available: 3 Insufficient cpu."
		crashed   = "The job runner crashed."
	)
	var (
		toSubmitted     = emr.Transition{To: submitted}
		toRunning       = emr.Transition{To: running}
		toCompleted     = emr.Transition{To: completed, Details: "Job run completed successfully."}
		toCancelPending = emr.Transition{To: cancelPending, Details: "Cancel requested."}
		toCancelled     = emr.Transition{To: cancelled, Details: "Job run cancelled."}
		unavailable     = failedWith(emr.FailureClusterUnavailable, `Cluster "eks-prod-1" is not registered with this sparkplane server.`)
		vanished        = failedWith(emr.FailureInternal, "Everything the run had created on the cluster disappeared before it finished.")
		stopFirst       = emr.Decision{Do: emr.ActStop, KeepLogs: true}
		stopAgain       = emr.Decision{After: time.Second}
		failedObs       = &emr.Observation{Phase: emr.PhaseFailed, Details: exitCode1}
		succeeded       = observed(emr.PhaseSucceeded)
		stillSubmitted  = observed(emr.PhaseSubmitted)
		noCPUSubmitted  = &emr.Observation{Phase: emr.PhaseSubmitted, Details: noCPU}

		// Runs whose current attempt may be retried.
		retryRunning   = newRun(running, onAttempt(1, 3))
		retrySubmitted = newRun(submitted, onAttempt(0, 2)) // no retryPolicyExecution yet: attempt 1
		retrySecond    = newRun(running, onAttempt(2, 3))
		next2of3       = retried(retryRunning, 2, "Attempt 2 of 3 started; attempt 1 failed: "+exitCode1)
	)
	timedOut := func(limit, more string) emr.Transition {
		details := "The driver did not start within job-start-timeout (" + limit + ")."
		if more != "" {
			details += " " + more
		}
		return failedWith(emr.FailureUser, details)
	}

	tests := []struct {
		name         string
		run          *emr.JobRun
		unregistered bool
		s            emr.Snapshot // Run, Cluster and Registered are filled in; Now unless set
		want         emr.Decision
	}{
		// Terminal runs: nothing, whatever the snapshot says.
		{name: "no run", run: nil},
		{name: "COMPLETED", run: newRun(completed), s: emr.Snapshot{Slot: true, Observed: failedObs, Submitted: true}},
		{name: "FAILED with a cancel request", run: newRun(failed, cancelRequested), s: emr.Snapshot{Observed: observed(emr.PhaseUnknown), Stopped: stopped(true)}},
		{name: "CANCELLED", run: newRun(cancelled, cancelRequested), s: emr.Snapshot{Rejected: &emr.Rejection{Message: "no"}}},
		{name: "FAILED on an unregistered cluster", run: newRun(failed), unregistered: true},
		{name: "COMPLETED long after the timeout", run: newRun(completed, createdAgo(time.Hour)), s: emr.Snapshot{Observed: stillSubmitted}},

		// The cluster is not registered with this server.
		{name: "unregistered: PENDING fails", run: newRun(pending), unregistered: true, s: emr.Snapshot{Slot: true}, want: steps(unavailable)},
		{name: "unregistered: SUBMITTED fails", run: newRun(submitted), unregistered: true, want: steps(unavailable)},
		{name: "unregistered: RUNNING fails, whatever was observed", run: newRun(running), unregistered: true,
			s: emr.Snapshot{Observed: succeeded}, want: steps(unavailable)},
		{name: "unregistered: cancelled PENDING", run: newRun(pending, cancelRequested), unregistered: true,
			want: steps(toCancelPending, toCancelled)},
		{name: "unregistered: cancelled RUNNING is not stopped", run: newRun(running, cancelRequested), unregistered: true,
			want: steps(toCancelPending, toCancelled)},
		{name: "unregistered: CANCEL_PENDING", run: newRun(cancelPending, cancelRequested), unregistered: true, want: steps(toCancelled)},
		{name: "unregistered: CANCEL_PENDING without a request", run: newRun(cancelPending), unregistered: true, want: steps(toCancelled)},
		{name: "unregistered: CANCEL_PENDING ignores a stop that left something", run: newRun(cancelPending), unregistered: true,
			s: emr.Snapshot{Stopped: stopped(false)}, want: steps(toCancelled)},

		// PENDING.
		{name: "PENDING without a slot waits", run: newRun(pending)},
		{name: "PENDING with a slot is submitted", run: newRun(pending), s: emr.Snapshot{Slot: true}, want: emr.Decision{Do: emr.ActSubmit}},
		{name: "PENDING submitted", run: newRun(pending), s: emr.Snapshot{Slot: true, Submitted: true}, want: steps(toSubmitted)},
		{name: "PENDING rejected", run: newRun(pending),
			s:    emr.Snapshot{Slot: true, Rejected: &emr.Rejection{Reason: emr.FailureValidation, Message: "The execution role cannot be assumed."}},
			want: steps(failedWith(emr.FailureValidation, "The execution role cannot be assumed."))},
		{name: "PENDING rejected without a reason", run: newRun(pending),
			s:    emr.Snapshot{Slot: true, Rejected: &emr.Rejection{Message: "No."}},
			want: steps(emr.Transition{To: failed, Details: "No."})},
		{name: "PENDING cancelled is stopped first", run: newRun(pending, cancelRequested), s: emr.Snapshot{Slot: true}, want: stopFirst},
		{name: "PENDING cancelled and stopped", run: newRun(pending, cancelRequested), s: emr.Snapshot{Stopped: stopped(true)},
			want: keptAndStepped(toCancelPending, toCancelled)},
		{name: "PENDING cancelled, the stop left something", run: newRun(pending, cancelRequested), s: emr.Snapshot{Stopped: stopped(false)},
			want: stopAgain},
		{name: "PENDING cancel wins over a submission", run: newRun(pending, cancelRequested), s: emr.Snapshot{Slot: true, Submitted: true},
			want: stopFirst},
		{name: "PENDING cancel wins over a rejection", run: newRun(pending, cancelRequested),
			s: emr.Snapshot{Rejected: &emr.Rejection{Reason: emr.FailureUser, Message: "No."}, Stopped: stopped(true)}, want: keptAndStepped(toCancelPending, toCancelled)},

		// CANCEL_PENDING.
		{name: "CANCEL_PENDING is stopped", run: newRun(cancelPending, cancelRequested), want: stopFirst},
		{name: "CANCEL_PENDING stopped", run: newRun(cancelPending, cancelRequested), s: emr.Snapshot{Stopped: stopped(true)}, want: keptAndStepped(toCancelled)},
		{name: "CANCEL_PENDING, the stop left something", run: newRun(cancelPending), s: emr.Snapshot{Stopped: stopped(false)}, want: stopAgain},
		{name: "CANCEL_PENDING ignores what was observed", run: newRun(cancelPending), s: emr.Snapshot{Observed: succeeded}, want: stopFirst},

		// A cancel request on a SUBMITTED or RUNNING run: CANCEL_PENDING, written before anything is stopped.
		{name: "SUBMITTED cancelled", run: newRun(submitted, cancelRequested), want: steps(toCancelPending)},
		{name: "RUNNING cancelled, whatever was observed", run: newRun(running, cancelRequested), s: emr.Snapshot{Observed: succeeded},
			want: steps(toCancelPending)},
		{name: "RUNNING cancelled, retry allowed", run: newRun(running, cancelRequested, onAttempt(1, 3)), s: emr.Snapshot{Observed: failedObs},
			want: steps(toCancelPending)},

		// Nothing observed yet.
		{name: "SUBMITTED is observed", run: newRun(submitted), want: emr.Decision{Do: emr.ActObserve}},
		{name: "RUNNING is observed", run: newRun(running), s: emr.Snapshot{Slot: true}, want: emr.Decision{Do: emr.ActObserve}},

		// PhaseUnknown.
		{name: "SUBMITTED vanished", run: newRun(submitted), s: emr.Snapshot{Observed: observed(emr.PhaseUnknown)}, want: emr.Decision{Steps: []emr.Transition{vanished}, KeepLogs: true}},
		{name: "RUNNING vanished", run: newRun(running, onAttempt(1, 3)), s: emr.Snapshot{Observed: observed(emr.PhaseUnknown)}, want: emr.Decision{Steps: []emr.Transition{vanished}, KeepLogs: true}},

		// PhaseSubmitted and job-start-timeout.
		{name: "Submitted waits for the default timeout", run: newRun(submitted), s: emr.Snapshot{Observed: stillSubmitted},
			want: emr.Decision{After: 10*time.Minute + time.Millisecond}},
		{name: "Submitted at the timeout waits a millisecond", run: newRun(submitted, createdAgo(15*time.Minute)), s: emr.Snapshot{Observed: stillSubmitted},
			want: emr.Decision{After: time.Millisecond}},
		{name: "Submitted past the default timeout is stopped", run: newRun(submitted, createdAgo(15*time.Minute+time.Nanosecond)),
			s: emr.Snapshot{Observed: stillSubmitted}, want: stopFirst},
		{name: "timed out and stopped", run: newRun(submitted, createdAgo(16*time.Minute)),
			s: emr.Snapshot{Observed: stillSubmitted, Stopped: stopped(true)}, want: keptAndStepped(timedOut("15m0s", ""))},
		{name: "timed out with the runtime's details", run: newRun(submitted, createdAgo(16*time.Minute)),
			s: emr.Snapshot{Observed: noCPUSubmitted, Stopped: stopped(true)}, want: keptAndStepped(timedOut("15m0s", noCPU))},
		{name: "timed out, the stop left something", run: newRun(submitted, createdAgo(16*time.Minute)),
			s: emr.Snapshot{Observed: noCPUSubmitted, Stopped: stopped(false)}, want: stopAgain},
		{name: "emr-containers-defaults timeout passed", run: newRun(submitted, withTimeout("emr-containers-defaults", "60")),
			s: emr.Snapshot{Observed: noCPUSubmitted}, want: stopFirst},
		{name: "emr-containers-defaults timeout in the details", run: newRun(submitted, withTimeout("emr-containers-defaults", "60")),
			s: emr.Snapshot{Observed: noCPUSubmitted, Stopped: stopped(true)}, want: keptAndStepped(timedOut("1m0s", noCPU))},
		{name: "emr-containers-defaults timeout longer than the default", run: newRun(submitted, withTimeout("emr-containers-defaults", "1800"), createdAgo(16*time.Minute)),
			s: emr.Snapshot{Observed: stillSubmitted}, want: emr.Decision{After: 14*time.Minute + time.Millisecond}},
		{name: "spark-defaults timeout", run: newRun(submitted, withTimeout("spark-defaults", "120"), createdAgo(3*time.Minute)),
			s: emr.Snapshot{Observed: stillSubmitted, Stopped: stopped(true)}, want: keptAndStepped(timedOut("2m0s", ""))},
		{name: "emr-containers-defaults wins over spark-defaults", run: newRun(submitted, withTimeout("spark-defaults", "60"), withTimeout("emr-containers-defaults", "1800")),
			s: emr.Snapshot{Observed: stillSubmitted}, want: emr.Decision{After: 25*time.Minute + time.Millisecond}},
		{name: "unparsable timeout: the default", run: newRun(submitted, withTimeout("emr-containers-defaults", "soon")),
			s: emr.Snapshot{Observed: stillSubmitted}, want: emr.Decision{After: 10*time.Minute + time.Millisecond}},
		{name: "zero timeout: the default", run: newRun(submitted, withTimeout("emr-containers-defaults", "0")),
			s: emr.Snapshot{Observed: stillSubmitted}, want: emr.Decision{After: 10*time.Minute + time.Millisecond}},
		{name: "no timeout on attempt 2", run: newRun(submitted, onAttempt(2, 3), createdAgo(time.Hour)), s: emr.Snapshot{Observed: stillSubmitted}},
		{name: "attempt count 1 is attempt 1", run: newRun(submitted, onAttempt(1, 3), createdAgo(time.Hour)),
			s: emr.Snapshot{Observed: stillSubmitted}, want: stopFirst},
		{name: "no timeout once RUNNING", run: newRun(running, createdAgo(time.Hour)), s: emr.Snapshot{Observed: stillSubmitted}},

		// PhaseRunning.
		{name: "SUBMITTED, the driver runs", run: newRun(submitted, createdAgo(time.Hour)), s: emr.Snapshot{Observed: observed(emr.PhaseRunning)},
			want: steps(toRunning)},
		{name: "RUNNING runs on", run: newRun(running, createdAgo(time.Hour)), s: emr.Snapshot{Observed: observed(emr.PhaseRunning)}},

		// PhaseSucceeded.
		{name: "SUBMITTED succeeded at once", run: newRun(submitted), s: emr.Snapshot{Observed: succeeded},
			want: emr.Decision{Steps: []emr.Transition{toRunning, toCompleted}, KeepLogs: true}},
		{name: "RUNNING succeeded", run: newRun(running), s: emr.Snapshot{Observed: succeeded},
			want: emr.Decision{Steps: []emr.Transition{toCompleted}, KeepLogs: true}},
		{name: "succeeded with attempts left", run: newRun(running, onAttempt(1, 3)), s: emr.Snapshot{Observed: succeeded},
			want: emr.Decision{Steps: []emr.Transition{toCompleted}, KeepLogs: true}},

		// PhaseFailed without a retry.
		{name: "failed without a reason: USER_ERROR", run: newRun(running), s: emr.Snapshot{Observed: failedObs},
			want: emr.Decision{Steps: []emr.Transition{failedWith(emr.FailureUser, exitCode1)}, KeepLogs: true}},
		{name: "failed with a reason keeps it", run: newRun(running),
			s:    emr.Snapshot{Observed: &emr.Observation{Phase: emr.PhaseFailed, Reason: emr.FailureInternal, Details: crashed}},
			want: emr.Decision{Steps: []emr.Transition{failedWith(emr.FailureInternal, crashed)}, KeepLogs: true}},
		{name: "SUBMITTED failed", run: newRun(submitted), s: emr.Snapshot{Observed: failedObs},
			want: emr.Decision{Steps: []emr.Transition{failedWith(emr.FailureUser, exitCode1)}, KeepLogs: true}},
		{name: "failed without details", run: newRun(running), s: emr.Snapshot{Observed: observed(emr.PhaseFailed)},
			want: emr.Decision{Steps: []emr.Transition{{To: failed, Reason: emr.FailureUser}}, KeepLogs: true}},
		{name: "the last attempt failed", run: newRun(running, onAttempt(3, 3)), s: emr.Snapshot{Observed: failedObs},
			want: emr.Decision{Steps: []emr.Transition{failedWith(emr.FailureUser, exitCode1)}, KeepLogs: true}},
		{name: "maxAttempts 1 never retries", run: newRun(running, onAttempt(0, 1)), s: emr.Snapshot{Observed: failedObs},
			want: emr.Decision{Steps: []emr.Transition{failedWith(emr.FailureUser, exitCode1)}, KeepLogs: true}},
		{name: "attempts beyond maxAttempts", run: newRun(running, onAttempt(5, 3)), s: emr.Snapshot{Observed: failedObs},
			want: emr.Decision{Steps: []emr.Transition{failedWith(emr.FailureUser, exitCode1)}, KeepLogs: true}},
		{name: "a failure not the user's is not retried", run: retryRunning,
			s:    emr.Snapshot{Observed: &emr.Observation{Phase: emr.PhaseFailed, Reason: emr.FailureInternal, Details: crashed}},
			want: emr.Decision{Steps: []emr.Transition{failedWith(emr.FailureInternal, crashed)}, KeepLogs: true}},

		// PhaseFailed with a retry.
		{name: "retry: the next attempt is submitted", run: retryRunning, s: emr.Snapshot{Observed: failedObs},
			want: emr.Decision{Do: emr.ActSubmitNext, Next: next2of3, KeepLogs: true}},
		{name: "retry: an explicit USER_ERROR", run: retryRunning,
			s:    emr.Snapshot{Observed: &emr.Observation{Phase: emr.PhaseFailed, Reason: emr.FailureUser, Details: exitCode1}},
			want: emr.Decision{Do: emr.ActSubmitNext, Next: next2of3, KeepLogs: true}},
		{name: "retry: submitted, Next is written", run: retryRunning, s: emr.Snapshot{Observed: failedObs, Submitted: true},
			want: emr.Decision{Next: next2of3}},
		{name: "retry: rejected", run: retryRunning,
			s:    emr.Snapshot{Observed: failedObs, Rejected: &emr.Rejection{Reason: emr.FailureValidation, Message: "Quota exceeded."}},
			want: steps(failedWith(emr.FailureValidation, "Attempt 2 could not be submitted: Quota exceeded."))},
		{name: "retry from SUBMITTED", run: retrySubmitted, s: emr.Snapshot{Observed: failedObs},
			want: emr.Decision{Do: emr.ActSubmitNext, KeepLogs: true,
				Next: retried(retrySubmitted, 2, "Attempt 2 of 2 started; attempt 1 failed: "+exitCode1)}},
		{name: "retry: attempt 3", run: retrySecond, s: emr.Snapshot{Observed: failedObs, Submitted: true},
			want: emr.Decision{Next: retried(retrySecond, 3, "Attempt 3 of 3 started; attempt 2 failed: "+exitCode1)}},
		{name: "retry: attempt 3 rejected", run: retrySecond,
			s:    emr.Snapshot{Observed: failedObs, Rejected: &emr.Rejection{Reason: emr.FailureInternal, Message: "No."}},
			want: steps(failedWith(emr.FailureInternal, "Attempt 3 could not be submitted: No."))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.s
			s.Run, s.Cluster, s.Registered = tc.run, decideCluster, !tc.unregistered
			if s.Now.IsZero() {
				s.Now = decideNow
			}
			got := emr.Decide(s)
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decide() = %s\n          want %s", describeDecision(got), describeDecision(tc.want))
			}
			if tc.run == nil {
				return
			}
			run := cloneRun(tc.run)
			for _, tr := range got.Steps {
				if err := run.Apply(tr, s.Now); err != nil {
					t.Errorf("Apply(%s): %v", tr.To, err)
				}
			}
		})
	}
}

func TestStartTimeout(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		opts []runOption
		want time.Duration
	}{
		{"default", nil, emr.DefaultJobStartTimeout},
		{"emr-containers-defaults", []runOption{withTimeout("emr-containers-defaults", "1800")}, 30 * time.Minute},
		{"spark-defaults", []runOption{withTimeout("spark-defaults", "60")}, time.Minute},
		{"emr-containers-defaults first", []runOption{withTimeout("spark-defaults", "60"), withTimeout("emr-containers-defaults", "90")}, 90 * time.Second},
		{"later properties of a classification win", []runOption{withTimeout("emr-containers-defaults", "60"), withTimeout("emr-containers-defaults", "90")}, 90 * time.Second},
		{"unparsable falls back to spark-defaults", []runOption{withTimeout("emr-containers-defaults", "soon"), withTimeout("spark-defaults", "60")}, time.Minute},
		{"not a number", []runOption{withTimeout("emr-containers-defaults", "soon")}, emr.DefaultJobStartTimeout},
		{"zero", []runOption{withTimeout("emr-containers-defaults", "0")}, emr.DefaultJobStartTimeout},
		{"negative", []runOption{withTimeout("spark-defaults", "-60")}, emr.DefaultJobStartTimeout},
		{"other classification", []runOption{withTimeout("spark-env", "60")}, emr.DefaultJobStartTimeout},
		{"too large for an int", []runOption{withTimeout("emr-containers-defaults", "99999999999999999999")}, emr.DefaultJobStartTimeout},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := emr.StartTimeout(newRun(submitted, tc.opts...)); got != tc.want {
				t.Errorf("StartTimeout() = %s, want %s", got, tc.want)
			}
		})
	}
}

// A job-start-timeout that fits an int but not a time.Duration in seconds
// (over about 292 years, i.e. "never") must not wrap around to a negative
// limit that fails every run at once.
func TestStartTimeoutTooLargeForADuration(t *testing.T) {
	t.Parallel()
	run := newRun(submitted, withTimeout("emr-containers-defaults", "10000000000"), createdAgo(time.Minute))
	if got := emr.StartTimeout(run); got < emr.DefaultJobStartTimeout {
		t.Errorf("StartTimeout() = %s, want at least the default %s", got, emr.DefaultJobStartTimeout)
	}
	d := emr.Decide(emr.Snapshot{Run: run, Now: decideNow, Cluster: decideCluster, Registered: true, Observed: observed(emr.PhaseSubmitted)})
	if d.Do != emr.ActNone || len(d.Steps) != 0 || d.After <= 0 {
		t.Errorf("Decide() a minute after creation = %s, want a wait", describeDecision(d))
	}
}

func TestDecisionIdle(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		d    emr.Decision
		want bool
	}{
		{emr.Decision{}, true},
		{emr.Decision{KeepLogs: true}, true},
		{emr.Decision{Do: emr.ActObserve}, false},
		{steps(emr.Transition{To: running}), false},
		{emr.Decision{Next: &emr.JobRun{}}, false},
		{emr.Decision{After: time.Millisecond}, false},
	} {
		if got := tc.d.Idle(); got != tc.want {
			t.Errorf("%s.Idle() = %v, want %v", describeDecision(tc.d), got, tc.want)
		}
	}
}

func TestActionString(t *testing.T) {
	t.Parallel()
	want := map[emr.Action]string{emr.ActNone: "none", emr.ActObserve: "observe", emr.ActSubmit: "submit",
		emr.ActSubmitNext: "submit next attempt", emr.ActStop: "stop"}
	for a, w := range want {
		if got := a.String(); got != w {
			t.Errorf("Action(%d).String() = %q, want %q", int(a), got, w)
		}
	}
}

// TestDecideProperties drives random runs through random passes of a
// simulated controller and checks the invariants Decide promises.
func TestDecideProperties(t *testing.T) {
	t.Parallel()
	const runs, passes = 20000, 12
	rng := rand.New(rand.NewPCG(0x5ba7c, 0xdec1de))
	seen := map[string]int{}
	for i := range runs {
		sim := &decideSim{t: t, rng: rng, seen: seen, now: decideNow, run: randomRun(rng, i)}
		sim.cancelEver = sim.run.CancelRequestedAt != nil
		sim.wasCancelPending = sim.run.State == cancelPending
		sim.life(passes)
	}
	// The generator must reach every branch, or the properties say little.
	for edge := range lifecycle {
		if edge != [2]emr.JobRunState{running, submitted} && seen[string(edge[0])+"->"+string(edge[1])] == 0 {
			t.Errorf("no simulated run moved %s -> %s", edge[0], edge[1])
		}
	}
	for _, k := range []string{"do:observe", "do:submit", "do:submit next attempt", "do:stop",
		"next from RUNNING", "next from SUBMITTED", "after:timeout", "after:stop", "idle", "terminal", "timed out"} {
		if seen[k] == 0 {
			t.Errorf("the simulation never produced %q", k)
		}
	}
	t.Logf("%d runs, %d decisions; %v", runs, seen["decisions"], seen)
}

// decideSim plays the controller for one run: each pass takes a snapshot,
// calls Decide, performs the asked action with a random outcome, and calls
// Decide again until it asks for none; then it writes Steps or Next.
type decideSim struct {
	t    *testing.T
	rng  *rand.Rand
	seen map[string]int

	run *emr.JobRun
	now time.Time
	// cancelEver: a cancel was requested at some point; wasCancelPending:
	// the run started out CANCEL_PENDING. Without either it must never
	// reach CANCEL_PENDING or CANCELLED.
	cancelEver, wasCancelPending bool
	trace                        []traced
}

type traced struct {
	s emr.Snapshot
	d emr.Decision
}

func (m *decideSim) fatalf(format string, args ...any) {
	m.t.Helper()
	var b strings.Builder
	for _, e := range m.trace {
		fmt.Fprintf(&b, "\n  %s\n    -> %s", describeSnapshot(e.s), describeDecision(e.d))
	}
	m.t.Fatalf(format+"\ntrace:%s", append(args, b.String())...)
}

func (m *decideSim) life(passes int) {
	for p := 0; p < passes; p++ {
		if m.run.State.Terminal() && p < passes-3 {
			p = passes - 3 // a few passes more show it stays put
		}
		if m.run.State.Cancellable() && m.run.CancelRequestedAt == nil && m.rng.IntN(10) == 0 {
			at := m.now // CancelJobRun records the request
			m.run.CancelRequestedAt = &at
			m.cancelEver = true
		}
		d, ok := m.pass(m.snapshot())
		if ok {
			m.write(d)
		}
		if d.After > 0 && m.rng.IntN(4) != 0 {
			m.now = m.now.Add(d.After)
		} else {
			m.now = m.now.Add(time.Duration(m.rng.Int64N(int64(10 * time.Minute))))
		}
	}
}

// snapshot starts a pass. Sometimes (always for a terminal run) it carries
// arbitrary outcomes, as from a confused controller: the invariants hold
// for any snapshot.
func (m *decideSim) snapshot() emr.Snapshot {
	r := m.rng
	s := emr.Snapshot{Run: m.run, Now: m.now, Cluster: decideCluster, Registered: r.IntN(10) != 0, Slot: r.IntN(2) == 0}
	if m.run.State.Terminal() || r.IntN(4) == 0 {
		if r.IntN(2) == 0 {
			s.Observed = randomObservation(r)
		}
		s.Submitted = r.IntN(3) == 0
		if r.IntN(4) == 0 {
			s.Rejected = randomRejection(r)
		}
		if r.IntN(3) == 0 {
			s.Stopped = stopped(r.IntN(2) == 0)
		}
	}
	return s
}

// pass runs Decide until it asks for no action; ok is false when an action
// failed for now (the pass ends and nothing is written).
func (m *decideSim) pass(s emr.Snapshot) (d emr.Decision, ok bool) {
	m.t.Helper()
	asked := map[emr.Action]bool{}
	for {
		d = m.decide(s)
		if d.Do == emr.ActNone {
			return d, true
		}
		if asked[d.Do] {
			m.fatalf("Decide asked to %s twice in one pass", d.Do)
		}
		asked[d.Do] = true
		m.seen["do:"+d.Do.String()]++
		r := m.rng
		if r.IntN(10) == 0 { // the runtime failed for now
			return emr.Decision{}, false
		}
		switch d.Do {
		case emr.ActObserve:
			s.Observed = randomObservation(r)
		case emr.ActSubmit, emr.ActSubmitNext:
			if r.IntN(4) == 0 {
				s.Rejected = randomRejection(r)
			} else {
				s.Submitted = true
			}
		case emr.ActStop:
			s.Stopped = stopped(r.IntN(3) != 0)
		default:
			m.fatalf("Decide asked for action %d", int(d.Do))
		}
	}
}

// decide calls Decide and checks what it returned.
func (m *decideSim) decide(s emr.Snapshot) emr.Decision {
	m.t.Helper()
	before := cloneSnapshot(s)
	var d emr.Decision
	func() {
		defer func() {
			if p := recover(); p != nil {
				m.fatalf("Decide(%s) panicked: %v", describeSnapshot(before), p)
			}
		}()
		d = emr.Decide(s)
	}()
	m.trace = append(m.trace, traced{before, d})
	m.seen["decisions"]++
	if !reflect.DeepEqual(s, before) {
		m.fatalf("Decide changed its snapshot: %s, was %s", describeSnapshot(s), describeSnapshot(before))
	}
	if again := emr.Decide(cloneSnapshot(before)); !reflect.DeepEqual(d, again) {
		m.fatalf("Decide is not deterministic: %s, then %s", describeDecision(d), describeDecision(again))
	}
	m.check(s, d)
	return d
}

func (m *decideSim) check(s emr.Snapshot, d emr.Decision) {
	m.t.Helper()
	run := s.Run
	cancel := run.CancelRequestedAt != nil

	// One kind of answer at a time.
	switch {
	case d.After < 0:
		m.fatalf("negative After")
	case d.Do != emr.ActNone && (len(d.Steps) > 0 || d.After != 0):
		m.fatalf("an action with Steps or After")
	case len(d.Steps) > 0 && (d.Next != nil || d.After != 0):
		m.fatalf("Steps with Next or After")
	case d.Next != nil && d.Do != emr.ActNone && d.Do != emr.ActSubmitNext:
		m.fatalf("Next with action %s", d.Do)
	case d.Do == emr.ActSubmitNext && d.Next == nil:
		m.fatalf("ActSubmitNext without Next")
	case (d.Do == emr.ActStop || d.Do == emr.ActSubmitNext) && !d.KeepLogs:
		m.fatalf("%s without KeepLogs", d.Do)
	}

	if run.State.Terminal() {
		if !reflect.DeepEqual(d, emr.Decision{}) {
			m.fatalf("Decide on a %s run: %s, want nothing", run.State, describeDecision(d))
		}
		m.seen["terminal"]++
		return
	}
	if d.Idle() {
		m.seen["idle"]++
	}

	// Actions only where they apply.
	active := run.State == submitted || run.State == running
	firstAttemptSubmitted := run.State == submitted && run.Attempt() == 1 && s.Observed != nil && s.Observed.Phase == emr.PhaseSubmitted
	switch d.Do {
	case emr.ActObserve:
		if !s.Registered || !active || cancel || s.Observed != nil {
			m.fatalf("observe asked for a %s run (registered %v, cancel %v, observed %v)", run.State, s.Registered, cancel, s.Observed)
		}
	case emr.ActSubmit:
		if !s.Registered || run.State != pending || !s.Slot || cancel || s.Submitted || s.Rejected != nil {
			m.fatalf("submit asked for a %s run", run.State)
		}
	case emr.ActStop:
		timedOut := firstAttemptSubmitted && s.Now.Sub(run.CreatedAt) > emr.StartTimeout(run)
		if !s.Registered || s.Stopped != nil || !(cancel || run.State == cancelPending || timedOut) {
			m.fatalf("stop asked for a %s run", run.State)
		}
	}

	// After: the job-start-timeout, or a stop to try again.
	if d.After > 0 {
		limit := emr.StartTimeout(run)
		if firstAttemptSubmitted && s.Registered && !cancel && s.Now.Sub(run.CreatedAt) <= limit {
			if want := run.CreatedAt.Add(limit).Sub(s.Now) + time.Millisecond; d.After != want {
				m.fatalf("After = %s, want %s, just past the timeout", d.After, want)
			}
			m.seen["after:timeout"]++
		} else {
			if d.After != time.Second || s.Stopped == nil || *s.Stopped {
				m.fatalf("After = %s, want 1s after a stop that left something (stopped %v)", d.After, s.Stopped)
			}
			m.seen["after:stop"]++
		}
	}

	// Next: only for a SUBMITTED or RUNNING run that may retry, as attempt+1.
	if d.Next != nil {
		m.checkNext(s, d.Next)
	}

	// Steps: legal one after the other; CANCEL_PENDING and CANCELLED only for a cancel.
	from := run.State
	for _, tr := range d.Steps {
		if !emr.CanTransition(from, tr.To) {
			m.fatalf("illegal step %s -> %s", from, tr.To)
		}
		if (tr.To == cancelPending || tr.To == cancelled) && !cancel && run.State != cancelPending {
			m.fatalf("step to %s without a cancel request", tr.To)
		}
		if tr.To == failed && strings.Contains(tr.Details, "job-start-timeout") {
			m.seen["timed out"]++
		}
		from = tr.To
	}
}

func (m *decideSim) checkNext(s emr.Snapshot, next *emr.JobRun) {
	m.t.Helper()
	run := s.Run
	if run.State != submitted && run.State != running {
		m.fatalf("Next for a %s run", run.State)
	}
	if !run.CanRetry() || run.CancelRequestedAt != nil || !s.Registered {
		m.fatalf("Next for a run that may not retry (attempt %d, policy %v, cancel %v)", run.Attempt(), run.RetryPolicyConfiguration, run.CancelRequestedAt)
	}
	if s.Observed == nil || s.Observed.Phase != emr.PhaseFailed || (s.Observed.Reason != "" && s.Observed.Reason != emr.FailureUser) {
		m.fatalf("Next without a user failure observed: %v", s.Observed)
	}
	if next.State != submitted || next.Attempt() != run.Attempt()+1 {
		m.fatalf("Next is %s attempt %d, want SUBMITTED attempt %d", next.State, next.Attempt(), run.Attempt()+1)
	}
	if next == run || next.RetryPolicyExecution == run.RetryPolicyExecution {
		m.fatalf("Next shares its attempt count with the run")
	}
	same := *next
	same.State, same.StateDetails, same.RetryPolicyExecution = run.State, run.StateDetails, run.RetryPolicyExecution
	if !reflect.DeepEqual(&same, run) {
		m.fatalf("Next differs from the run in more than state, details and attempt:\n%+v\n%+v", same, *run)
	}
	m.seen["next from "+string(run.State)]++
}

// write records the pass's result, as the controller writes it to the store.
func (m *decideSim) write(d emr.Decision) {
	m.t.Helper()
	if d.Next != nil {
		m.run = d.Next
		return
	}
	for _, tr := range d.Steps {
		from := m.run.State
		if err := m.run.Apply(tr, m.now); err != nil {
			m.fatalf("Apply: %v", err)
		}
		m.seen[string(from)+"->"+string(tr.To)]++
	}
	if st := m.run.State; len(d.Steps) > 0 && (st == cancelPending || st == cancelled) && !m.cancelEver && !m.wasCancelPending {
		m.fatalf("the run reached %s without a cancel request", st)
	}
}

var timeoutConfigs = [][]runOption{
	nil,
	{withTimeout("emr-containers-defaults", "60")},
	{withTimeout("emr-containers-defaults", "1800")},
	{withTimeout("spark-defaults", "300")},
	{withTimeout("spark-defaults", "60"), withTimeout("emr-containers-defaults", "1200")},
	{withTimeout("emr-containers-defaults", "soon")},
	{withTimeout("emr-containers-defaults", "0")},
	{withTimeout("spark-defaults", "-5")},
}

func randomRun(r *rand.Rand, i int) *emr.JobRun {
	state := emr.JobRunStates[r.IntN(len(emr.JobRunStates))]
	var opts []runOption
	// Created from 40 minutes before the first pass to 1 minute after it.
	opts = append(opts, createdAgo(time.Duration(r.Int64N(int64(41*time.Minute)))-time.Minute))
	if r.IntN(4) == 0 {
		opts = append(opts, cancelRequested)
	}
	if r.IntN(3) != 0 {
		opts = append(opts, onAttempt(r.IntN(4), r.IntN(5)))
	}
	opts = append(opts, timeoutConfigs[r.IntN(len(timeoutConfigs))]...)
	run := newRun(state, opts...)
	run.ID = fmt.Sprintf("%019d", i)
	if r.IntN(3) == 0 {
		run.StateDetails = ""
	}
	if state.Terminal() {
		at := run.CreatedAt.Add(time.Minute)
		run.FinishedAt = &at
		if state == failed {
			run.FailureReason = emr.FailureUser
		}
	}
	return run
}

func randomObservation(r *rand.Rand) *emr.Observation {
	phases := []emr.Phase{emr.PhaseUnknown, emr.PhaseSubmitted, emr.PhaseSubmitted, emr.PhaseSubmitted,
		emr.PhaseRunning, emr.PhaseRunning, emr.PhaseSucceeded, emr.PhaseFailed, emr.PhaseFailed, emr.PhaseFailed}
	reasons := []emr.FailureReason{"", "", emr.FailureUser, emr.FailureInternal, emr.FailureValidation}
	details := []string{"", "Driver exited with code 1.", "0/3 nodes are available: 3 Insufficient cpu.", strings.Repeat("x", 300)}
	return &emr.Observation{Phase: phases[r.IntN(len(phases))], Reason: reasons[r.IntN(len(reasons))], Details: details[r.IntN(len(details))]}
}

func randomRejection(r *rand.Rand) *emr.Rejection {
	reasons := []emr.FailureReason{"", emr.FailureUser, emr.FailureInternal, emr.FailureValidation}
	return &emr.Rejection{Reason: reasons[r.IntN(len(reasons))], Message: "Refused."}
}

func describeSnapshot(s emr.Snapshot) string {
	if s.Run == nil {
		return "{no run}"
	}
	run := s.Run
	var b strings.Builder
	fmt.Fprintf(&b, "{%s attempt %d", run.State, run.Attempt())
	if run.RetryPolicyConfiguration != nil {
		fmt.Fprintf(&b, "/%d", run.RetryPolicyConfiguration.MaxAttempts)
	}
	fmt.Fprintf(&b, ", cancel %v, age %s, timeout %s, registered %v, slot %v", run.CancelRequestedAt != nil,
		s.Now.Sub(run.CreatedAt), emr.StartTimeout(run), s.Registered, s.Slot)
	if s.Observed != nil {
		fmt.Fprintf(&b, ", observed %s/%q/%.30q", s.Observed.Phase, s.Observed.Reason, s.Observed.Details)
	}
	if s.Submitted {
		b.WriteString(", submitted")
	}
	if s.Rejected != nil {
		fmt.Fprintf(&b, ", rejected %q", s.Rejected.Reason)
	}
	if s.Stopped != nil {
		fmt.Fprintf(&b, ", stopped %v", *s.Stopped)
	}
	return b.String() + "}"
}

func clonePtr[T any](p *T) *T {
	if p == nil {
		return nil
	}
	v := *p
	return &v
}

func cloneRun(r *emr.JobRun) *emr.JobRun {
	c := *r
	c.FinishedAt = clonePtr(r.FinishedAt)
	c.CancelRequestedAt = clonePtr(r.CancelRequestedAt)
	c.RetryPolicyConfiguration = clonePtr(r.RetryPolicyConfiguration)
	c.RetryPolicyExecution = clonePtr(r.RetryPolicyExecution)
	c.Tags = maps.Clone(r.Tags)
	if r.ConfigurationOverrides != nil {
		o := *r.ConfigurationOverrides
		o.ApplicationConfiguration = nil
		for _, cfg := range r.ConfigurationOverrides.ApplicationConfiguration {
			cfg.Properties = maps.Clone(cfg.Properties)
			o.ApplicationConfiguration = append(o.ApplicationConfiguration, cfg)
		}
		c.ConfigurationOverrides = &o
	}
	return &c
}

func cloneSnapshot(s emr.Snapshot) emr.Snapshot {
	c := s
	if s.Run != nil {
		c.Run = cloneRun(s.Run)
	}
	c.Observed = clonePtr(s.Observed)
	c.Rejected = clonePtr(s.Rejected)
	c.Stopped = clonePtr(s.Stopped)
	return c
}
