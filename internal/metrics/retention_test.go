package metrics_test

import (
	"testing"

	"github.com/sparkplane/sparkplane/internal/metrics"
	"github.com/sparkplane/sparkplane/internal/metrics/metricstest"
)

// What retention removed is counted by kind, every kind from 0.
func TestRetentionPurgedCounted(t *testing.T) {
	m := metrics.New(metrics.Options{})
	m.Purged("job_runs", 500)
	m.Purged("job_runs", 20)
	mf := scrape(t, m.Handler(metrics.Access{}))
	for kind, want := range map[string]float64{"job_runs": 520, "usage_records": 0, "cost_rollups": 0} {
		if got := metricstest.Value(mf, metrics.RetentionPurged, map[string]string{"kind": kind}); got != want {
			t.Errorf("%s{kind=%q} = %v, want %v", metrics.RetentionPurged, kind, got, want)
		}
	}
}
