package metrics

import (
	"strconv"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// ObserveRequest counts one answered API request of operation op with HTTP
// status code (0: nothing written, which net/http answers 200) that took d.
func (m *Metrics) ObserveRequest(op string, code int, d time.Duration) {
	if code == 0 {
		code = 200
	}
	m.requests.WithLabelValues(op, statusText(code)).Inc()
	m.requestDuration.WithLabelValues(op).Observe(d.Seconds())
}

// statusText is code in decimal, without allocating for the usual ones.
func statusText(code int) string {
	switch code {
	case 200:
		return "200"
	case 400:
		return "400"
	case 403:
		return "403"
	case 404:
		return "404"
	case 409:
		return "409"
	case 500:
		return "500"
	}
	return strconv.Itoa(code)
}

// Transitioned records that the controller wrote run, whose state was
// from, through steps (nil: straight to run.State), at at: the latency from
// its createdAt to SUBMITTED and to RUNNING (of a run's first attempt: a
// retry's would count the attempts before it), and its end in a terminal
// state.
func (m *Metrics) Transitioned(run *emr.JobRun, from emr.JobRunState, steps []emr.Transition, at time.Time) {
	first, prev := run.Attempt() <= 1, from
	observe := func(to emr.JobRunState) {
		if !first || to == prev {
			return
		}
		if to == emr.JobRunSubmitted || to == emr.JobRunRunning && prev == emr.JobRunPending { // SUBMITTED passed unseen
			m.submitLatency.Observe(since(run.CreatedAt, at))
		}
		if to == emr.JobRunRunning {
			m.startLatency.Observe(since(run.CreatedAt, at))
		}
		prev = to
	}
	if len(steps) == 0 {
		observe(run.State)
	}
	for _, t := range steps {
		observe(t.To)
	}
	if run.State.Terminal() && run.State != from {
		m.finished.WithLabelValues(string(run.State), string(run.FailureReason)).Inc()
	}
}

// since is the seconds from t to at, never negative.
func since(t, at time.Time) float64 { return max(at.Sub(t).Seconds(), 0) }

// ReconcileFailed counts a failed pass of the controller.
func (m *Metrics) ReconcileFailed() { m.reconcileErrors.Inc() }

// RuntimeFailed counts a failed call (operation: submit, observe, stop,
// collect_logs) into the runtime of cluster.
func (m *Metrics) RuntimeFailed(cluster, operation string) {
	m.runtimeErrors.WithLabelValues(cluster, operation).Inc()
}
