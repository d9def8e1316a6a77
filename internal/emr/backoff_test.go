package emr_test

import (
	"reflect"
	"strconv"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func TestRetryBackoff(t *testing.T) {
	t.Parallel()
	for n, want := range map[int]time.Duration{
		0: 10 * time.Second, 1: 10 * time.Second, 2: 20 * time.Second, 3: 40 * time.Second, 4: 80 * time.Second,
		5: 160 * time.Second, 6: 320 * time.Second, 7: 6 * time.Minute, 10: 6 * time.Minute, 1 << 30: 6 * time.Minute,
	} {
		if got := emr.RetryBackoff(n); got != want {
			t.Errorf("RetryBackoff(%d) = %s, want %s", n, got, want)
		}
	}
}

// The next attempt waits out the back-off after the failed one ended;
// Decide asks for a pass when it is over, and submits then.
func TestDecideRetryBackoff(t *testing.T) {
	t.Parallel()
	const details = "Driver exited with code 1."
	failedAt := func(ago time.Duration) *emr.Observation {
		return &emr.Observation{Phase: emr.PhaseFailed, Details: details, EndedAt: decideNow.Add(-ago)}
	}
	first := newRun(emr.JobRunRunning, onAttempt(1, 10))
	third := newRun(emr.JobRunRunning, onAttempt(3, 10))
	ninth := newRun(emr.JobRunRunning, onAttempt(9, 10))
	submit := func(r *emr.JobRun, n int) emr.Decision {
		return emr.Decision{Do: emr.ActSubmitNext, KeepLogs: true,
			Next: retried(r, n, "Attempt "+strconv.Itoa(n)+" of 10 started; attempt "+strconv.Itoa(n-1)+" failed: "+details)}
	}
	for _, tc := range []struct {
		name string
		run  *emr.JobRun
		obs  *emr.Observation
		s    emr.Snapshot
		want emr.Decision
	}{
		{"attempt 1 just failed: wait 10s", first, failedAt(0), emr.Snapshot{}, emr.Decision{After: 10*time.Second + time.Millisecond}},
		{"attempt 1 failed 4s ago: wait 6s", first, failedAt(4 * time.Second), emr.Snapshot{}, emr.Decision{After: 6*time.Second + time.Millisecond}},
		{"attempt 1 failed 10s ago: submit", first, failedAt(10 * time.Second), emr.Snapshot{}, submit(first, 2)},
		{"attempt 3 failed 30s ago: wait 10s more", third, failedAt(30 * time.Second), emr.Snapshot{}, emr.Decision{After: 10*time.Second + time.Millisecond}},
		{"attempt 3 failed 40s ago: submit", third, failedAt(40 * time.Second), emr.Snapshot{}, submit(third, 4)},
		{"attempt 9: capped at 6 minutes", ninth, failedAt(5 * time.Minute), emr.Snapshot{}, emr.Decision{After: time.Minute + time.Millisecond}},
		{"attempt 9 failed 6 minutes ago: submit", ninth, failedAt(6 * time.Minute), emr.Snapshot{}, submit(ninth, 10)},
		{"end unknown: no back-off", first, &emr.Observation{Phase: emr.PhaseFailed, Details: details}, emr.Snapshot{}, submit(first, 2)},
		{"ended in the future (clock skew): wait the back-off from then", first, failedAt(-time.Second), emr.Snapshot{},
			emr.Decision{After: 11*time.Second + time.Millisecond}},
		{"submitted after the wait: Next is written", first, failedAt(0), emr.Snapshot{Submitted: true},
			emr.Decision{Next: retried(first, 2, "Attempt 2 of 10 started; attempt 1 failed: "+details)}},
		{"cancelled while waiting", newRun(emr.JobRunRunning, onAttempt(1, 10), cancelRequested), failedAt(0), emr.Snapshot{},
			emr.Decision{Steps: []emr.Transition{{To: emr.JobRunCancelPending, Details: "Cancel requested."}}}},
		{"no attempt left: failed at once", newRun(emr.JobRunRunning, onAttempt(10, 10)), failedAt(0), emr.Snapshot{},
			emr.Decision{Steps: []emr.Transition{{To: emr.JobRunFailed, Reason: emr.FailureUser, Details: details}}, KeepLogs: true}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s := tc.s
			s.Run, s.Observed, s.Now, s.Cluster, s.Registered = tc.run, tc.obs, decideNow, decideCluster, true
			if got := emr.Decide(s); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Decide() = %s\n          want %s", describeDecision(got), describeDecision(tc.want))
			}
		})
	}
}
