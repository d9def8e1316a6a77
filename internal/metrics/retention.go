package metrics

import "github.com/prometheus/client_golang/prometheus"

// RetentionPurged counts what retention removed, by kind.
const RetentionPurged = "sparkplane_retention_purged_total"

// purgedKinds are the kinds retention removes (package retention's
// Kind… constants), whose counts start at 0.
var purgedKinds = []string{"job_runs", "usage_records", "cost_rollups"}

func (m *Metrics) registerPurged() {
	m.purged = prometheus.NewCounterVec(prometheus.CounterOpts{Name: RetentionPurged,
		Help: "What retention removed from the store, by kind: job runs (with their rows), raw usage records, daily cost rollup rows."},
		[]string{"kind"})
	m.reg.MustRegister(m.purged)
	for _, k := range purgedKinds {
		m.purged.WithLabelValues(k)
	}
}

// Purged counts n items of kind that retention removed.
func (m *Metrics) Purged(kind string, n int) {
	if m != nil {
		m.purged.WithLabelValues(kind).Add(float64(n))
	}
}
