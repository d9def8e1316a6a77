package emr_test

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/sparkplane/sparkplane/internal/emr"
)

const (
	pending       = emr.JobRunPending
	submitted     = emr.JobRunSubmitted
	running       = emr.JobRunRunning
	failed        = emr.JobRunFailed
	cancelled     = emr.JobRunCancelled
	cancelPending = emr.JobRunCancelPending
	completed     = emr.JobRunCompleted
)

// lifecycle is the diagram above emr.JobRunState, written out edge by edge.
var lifecycle = map[[2]emr.JobRunState]bool{
	{pending, submitted}:       true,
	{submitted, running}:       true,
	{running, completed}:       true,
	{pending, failed}:          true,
	{submitted, failed}:        true,
	{running, failed}:          true,
	{pending, cancelPending}:   true,
	{submitted, cancelPending}: true,
	{running, cancelPending}:   true,
	{cancelPending, cancelled}: true,
	{running, submitted}:       true, // a retry policy starts a new driver attempt
}

func TestCanTransition(t *testing.T) {
	t.Parallel()
	states := append([]emr.JobRunState{"", "BOGUS"}, emr.JobRunStates...)
	for _, from := range states {
		for _, to := range states {
			want := lifecycle[[2]emr.JobRunState{from, to}]
			t.Run(string(from)+"->"+string(to), func(t *testing.T) {
				t.Parallel()
				if got := emr.CanTransition(from, to); got != want {
					t.Errorf("CanTransition(%q, %q) = %v, want %v", from, to, got, want)
				}
			})
		}
	}
}

func TestJobRunStatePredicates(t *testing.T) {
	t.Parallel()
	tests := []struct {
		state                        emr.JobRunState
		valid, terminal, cancellable bool
		hasExit                      bool // some legal transition leaves the state
	}{
		{pending, true, false, true, true},
		{submitted, true, false, true, true},
		{running, true, false, true, true},
		{cancelPending, true, false, false, true},
		{completed, true, true, false, false},
		{failed, true, true, false, false},
		{cancelled, true, true, false, false},
		{"", false, false, false, false},
		{"pending", false, false, false, false},
	}
	if len(emr.JobRunStates) != 7 {
		t.Fatalf("JobRunStates has %d states, the model has 7", len(emr.JobRunStates))
	}
	for _, tc := range tests {
		t.Run(string(tc.state), func(t *testing.T) {
			t.Parallel()
			if got := tc.state.Valid(); got != tc.valid {
				t.Errorf("Valid() = %v, want %v", got, tc.valid)
			}
			if got := tc.state.Terminal(); got != tc.terminal {
				t.Errorf("Terminal() = %v, want %v", got, tc.terminal)
			}
			if got := tc.state.Cancellable(); got != tc.cancellable {
				t.Errorf("Cancellable() = %v, want %v", got, tc.cancellable)
			}
			exit := false
			for _, to := range emr.JobRunStates {
				exit = exit || emr.CanTransition(tc.state, to)
			}
			if exit != tc.hasExit {
				t.Errorf("has a legal transition out = %v, want %v", exit, tc.hasExit)
			}
			if tc.cancellable && !emr.CanTransition(tc.state, cancelPending) {
				t.Errorf("cancellable, but cannot move to CANCEL_PENDING")
			}
		})
	}
}

func TestApply(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 1, 10, 0, 0, 123456789, time.FixedZone("X", 3600))
	finished := now.UTC().Truncate(time.Millisecond)
	long := strings.Repeat("x", 300) + "cause"
	tests := []struct {
		name        string
		from        emr.JobRunState
		details     string // StateDetails before
		tr          emr.Transition
		wantErr     string // substring; "" for success
		wantReason  emr.FailureReason
		wantDetails string
		wantFinish  bool
	}{
		{name: "submit", from: pending, tr: emr.Transition{To: submitted, Details: "submitted"}, wantDetails: "submitted"},
		{name: "run keeps details when none given", from: submitted, details: "old", tr: emr.Transition{To: running}, wantDetails: "old"},
		{name: "retry goes back to SUBMITTED", from: running, tr: emr.Transition{To: submitted}},
		{name: "complete sets finishedAt", from: running, tr: emr.Transition{To: completed}, wantFinish: true},
		{name: "fail defaults the reason", from: running, tr: emr.Transition{To: failed, Details: "boom"},
			wantReason: emr.FailureInternal, wantDetails: "boom", wantFinish: true},
		{name: "fail keeps a given reason", from: pending, tr: emr.Transition{To: failed, Reason: emr.FailureValidation},
			wantReason: emr.FailureValidation, wantFinish: true},
		{name: "cancel pending is not terminal", from: running, tr: emr.Transition{To: cancelPending}},
		{name: "cancelled is terminal", from: cancelPending, tr: emr.Transition{To: cancelled}, wantFinish: true},
		{name: "long details are truncated", from: running, tr: emr.Transition{To: failed, Details: long},
			wantReason: emr.FailureInternal, wantDetails: emr.TruncateDetails(long), wantFinish: true},

		{name: "illegal: skip SUBMITTED", from: pending, details: "d", tr: emr.Transition{To: running}, wantErr: "illegal transition PENDING -> RUNNING"},
		{name: "illegal: out of COMPLETED", from: completed, details: "d", tr: emr.Transition{To: failed}, wantErr: "illegal transition"},
		{name: "illegal: out of FAILED", from: failed, details: "d", tr: emr.Transition{To: running}, wantErr: "illegal transition"},
		{name: "illegal: CANCEL_PENDING to COMPLETED", from: cancelPending, details: "d", tr: emr.Transition{To: completed}, wantErr: "illegal transition"},
		{name: "illegal: to itself", from: running, details: "d", tr: emr.Transition{To: running}, wantErr: "illegal transition"},
		{name: "illegal: unknown state", from: running, details: "d", tr: emr.Transition{To: "DONE"}, wantErr: "illegal transition"},
		{name: "reason on COMPLETED", from: running, details: "d", tr: emr.Transition{To: completed, Reason: emr.FailureUser}, wantErr: "failure reason"},
		{name: "reason on CANCEL_PENDING", from: running, details: "d", tr: emr.Transition{To: cancelPending, Reason: emr.FailureUser}, wantErr: "failure reason"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			run := &emr.JobRun{ID: "0000000337okspsc913", State: tc.from, StateDetails: tc.details}
			before := *run
			err := run.Apply(tc.tr, now)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Apply() error = %v, want one containing %q", err, tc.wantErr)
				}
				if run.State != before.State || run.StateDetails != before.StateDetails ||
					run.FailureReason != before.FailureReason || run.FinishedAt != nil {
					t.Errorf("Apply() changed the run on error: %+v, was %+v", *run, before)
				}
				return
			}
			if err != nil {
				t.Fatalf("Apply() error = %v", err)
			}
			if run.State != tc.tr.To {
				t.Errorf("State = %s, want %s", run.State, tc.tr.To)
			}
			if run.FailureReason != tc.wantReason {
				t.Errorf("FailureReason = %q, want %q", run.FailureReason, tc.wantReason)
			}
			if run.StateDetails != tc.wantDetails {
				t.Errorf("StateDetails = %q, want %q", run.StateDetails, tc.wantDetails)
			}
			switch {
			case !tc.wantFinish && run.FinishedAt != nil:
				t.Errorf("FinishedAt = %v, want nil for %s", run.FinishedAt, run.State)
			case tc.wantFinish && (run.FinishedAt == nil || !run.FinishedAt.Equal(finished) || run.FinishedAt.Location() != time.UTC):
				t.Errorf("FinishedAt = %v, want %v (UTC, milliseconds)", run.FinishedAt, finished)
			}
		})
	}
}

// A whole life through Apply: every step is legal and only the last one
// sets finishedAt.
func TestApplyLifecycle(t *testing.T) {
	t.Parallel()
	run := &emr.JobRun{ID: "r", State: pending}
	now := time.Unix(1_700_000_000, 0)
	for i, to := range []emr.JobRunState{submitted, running, submitted, running, cancelPending, cancelled} {
		if err := run.Apply(emr.Transition{To: to}, now); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
		if terminal := run.FinishedAt != nil; terminal != to.Terminal() {
			t.Fatalf("step %d to %s: FinishedAt = %v", i, to, run.FinishedAt)
		}
	}
}

func TestTruncateDetails(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, in string
		want     string // "" to check only the length and ending
	}{
		{name: "empty", in: "", want: ""},
		{name: "short", in: "driver exited with code 1", want: "driver exited with code 1"},
		{name: "exactly 256", in: strings.Repeat("a", 256), want: strings.Repeat("a", 256)},
		{name: "257 keeps the end", in: "b" + strings.Repeat("a", 255) + "Z", want: "…" + strings.Repeat("a", 254) + "Z"},
		{name: "multibyte counts runes", in: strings.Repeat("é", 256), want: strings.Repeat("é", 256)},
		{name: "multibyte over", in: strings.Repeat("日本", 200) + "END"},
		{name: "very long", in: strings.Repeat("x", 1<<16) + "cause"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := emr.TruncateDetails(tc.in)
			if n := utf8.RuneCountInString(got); n > 256 {
				t.Errorf("TruncateDetails() has %d runes, want at most 256", n)
			}
			if !utf8.ValidString(got) {
				t.Errorf("TruncateDetails() = %q is not valid UTF-8", got)
			}
			if tc.want != "" || tc.in == "" {
				if got != tc.want {
					t.Errorf("TruncateDetails() = %q, want %q", got, tc.want)
				}
				return
			}
			if !strings.HasPrefix(got, "…") || !strings.HasSuffix(tc.in, strings.TrimPrefix(got, "…")) {
				t.Errorf("TruncateDetails() = %q, want … and the end of the input", got)
			}
			if utf8.RuneCountInString(got) != 256 {
				t.Errorf("TruncateDetails() of a long input has %d runes, want 256", utf8.RuneCountInString(got))
			}
		})
	}
}

func TestReachable(t *testing.T) {
	for _, tc := range []struct {
		from, to emr.JobRunState
		want     bool
	}{
		{emr.JobRunSubmitted, emr.JobRunCompleted, true},
		{emr.JobRunPending, emr.JobRunCancelled, true},
		{emr.JobRunPending, emr.JobRunCompleted, true},
		{emr.JobRunCompleted, emr.JobRunRunning, false},
		{emr.JobRunCancelPending, emr.JobRunFailed, false},
		{emr.JobRunPending, emr.JobRunPending, false},
		{emr.JobRunFailed, emr.JobRunFailed, false},
	} {
		if got := emr.Reachable(tc.from, tc.to); got != tc.want {
			t.Errorf("Reachable(%s, %s) = %v, want %v", tc.from, tc.to, got, tc.want)
		}
	}
}
