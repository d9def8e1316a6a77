package devcluster

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// A run's driver pod carries the annotations a Prometheus kubernetes_sd
// pod job scrapes Spark's executor metrics by (Spark set them from the
// spark-defaults sparkplane gives every Kubernetes run; that a run's own
// spark-defaults win is TestSparkMetricsForPrometheus's).
func TestDriverPodIsAnnotatedForPrometheus(t *testing.T) {
	vc := devVC(t, "prom")
	id := startRun(t, vc, "pi", piEntryPoint, piParams)
	pods := watchRun(t, "prom", id)
	if run := waitState(t, vc, id, 5*time.Minute, terminal); run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED", run.State, aws.ToString(run.StateDetails))
	}
	drivers := pods.byRole("driver")
	if len(drivers) != 1 {
		t.Fatalf("%d driver pods seen, want 1", len(drivers))
	}
	for k, want := range map[string]string{"prometheus.io/scrape": "true", "prometheus.io/path": "/metrics/executors/prometheus/", "prometheus.io/port": "4040"} {
		if got := drivers[0].Annotations[k]; got != want {
			t.Errorf("driver pod annotation %s = %q, want %q (annotations %v)", k, got, want, drivers[0].Annotations)
		}
	}
}
