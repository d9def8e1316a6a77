package metrics

import (
	"context"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/sparkplane/sparkplane/internal/store"
)

// Metric names, for the dashboard and its test.
const (
	APIRequests        = "sparkplane_api_requests_total"
	APIRequestDuration = "sparkplane_api_request_duration_seconds"
	JobRuns            = "sparkplane_job_runs"
	QueueDepth         = "sparkplane_job_run_queue_depth"
	JobRunsFinished    = "sparkplane_job_runs_finished_total"
	SubmitLatency      = "sparkplane_job_run_submit_latency_seconds"
	StartLatency       = "sparkplane_job_run_start_latency_seconds"
	LeasesHeld         = "sparkplane_leases_held"
	ReconcileErrors    = "sparkplane_controller_reconcile_errors_total"
	RuntimeErrors      = "sparkplane_runtime_errors_total"
	StoreDuration      = "sparkplane_store_operation_duration_seconds"
	StoreErrors        = "sparkplane_store_errors_total"
	ScrapeErrors       = "sparkplane_metrics_scrape_errors_total"
)

// runtimeOperations are the calls into a runtime whose failures are counted.
var runtimeOperations = []string{"submit", "observe", "stop", "collect_logs"}

// Bucket bounds, in seconds.
var (
	requestBuckets = []float64{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}
	storeBuckets   = []float64{0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1}
	latencyBuckets = []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1800, 3600}
)

// RunCounter reads how many job runs each virtual cluster has in each
// state (store.Store's JobRunCounts).
type RunCounter interface {
	JobRunCounts(ctx context.Context) ([]store.JobRunCount, error)
}

// Options configure a Metrics.
type Options struct {
	// Runs, when set, is read (at most once per RunsCacheFor) at scrape time
	// for sparkplane_job_runs and sparkplane_job_run_queue_depth.
	Runs RunCounter
	// RunsCacheFor is how long the counts of Runs are reused; default 5 s.
	RunsCacheFor time.Duration
	// Leases, when set, returns how many job-run leases this server holds.
	Leases func() int
	// Clusters are the registered clusters, whose runtime error counts
	// start at 0 (rather than appearing with their first error).
	Clusters []string
	Now      func() time.Time
	Logger   *slog.Logger
}

// Metrics are one server's metrics and the registry that serves them.
type Metrics struct {
	reg *prometheus.Registry

	requests        *prometheus.CounterVec
	requestDuration *prometheus.HistogramVec
	finished        *prometheus.CounterVec
	submitLatency   prometheus.Histogram
	startLatency    prometheus.Histogram
	reconcileErrors prometheus.Counter
	runtimeErrors   *prometheus.CounterVec
	storeDuration   *prometheus.HistogramVec
	storeErrors     *prometheus.CounterVec
	purged          *prometheus.CounterVec // retention.go
}

// New returns the metrics of a server: the Go runtime's and the process's,
// and sparkplane's own.
func New(opts Options) *Metrics {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.RunsCacheFor <= 0 {
		opts.RunsCacheFor = 5 * time.Second
	}
	m := &Metrics{
		reg: prometheus.NewRegistry(),
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{Name: APIRequests,
			Help: "API requests answered, by operation and HTTP status code."}, []string{"operation", "code"}),
		requestDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: APIRequestDuration,
			Help: "Time to answer an API request (authentication included), by operation.", Buckets: requestBuckets}, []string{"operation"}),
		finished: prometheus.NewCounterVec(prometheus.CounterOpts{Name: JobRunsFinished,
			Help: "Job runs this server moved to a terminal state, by state and failure reason."}, []string{"state", "failure_reason"}),
		submitLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: SubmitLatency,
			Help: "Time from a job run's createdAt (StartJobRun) to SUBMITTED.", Buckets: latencyBuckets}),
		startLatency: prometheus.NewHistogram(prometheus.HistogramOpts{Name: StartLatency,
			Help: "Time from a job run's createdAt (StartJobRun) to RUNNING.", Buckets: latencyBuckets}),
		reconcileErrors: prometheus.NewCounter(prometheus.CounterOpts{Name: ReconcileErrors,
			Help: "Controller passes over a job run that failed and were retried."}),
		runtimeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: RuntimeErrors,
			Help: "Failed calls of the controller into a cluster's runtime, by cluster and operation."}, []string{"cluster", "operation"}),
		storeDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: StoreDuration,
			Help: "Time of a store operation, by operation.", Buckets: storeBuckets}, []string{"operation"}),
		storeErrors: prometheus.NewCounterVec(prometheus.CounterOpts{Name: StoreErrors,
			Help: "Store operations that failed (not found and conflicts aside), by operation."}, []string{"operation"}),
	}
	m.reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.requests, m.requestDuration, m.finished, m.submitLatency, m.startLatency,
		m.reconcileErrors, m.runtimeErrors, m.storeDuration, m.storeErrors,
	)
	m.registerPurged()
	for _, c := range opts.Clusters {
		for _, op := range runtimeOperations {
			m.runtimeErrors.WithLabelValues(c, op)
		}
	}
	if opts.Runs != nil {
		m.reg.MustRegister(newRunsCollector(opts.Runs, opts.RunsCacheFor, opts.Now, opts.Logger))
	}
	if opts.Leases != nil {
		leases := opts.Leases
		m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: LeasesHeld,
			Help: "Job-run leases this server holds (several servers on one PostgreSQL store)."},
			func() float64 { return float64(leases()) }))
	}
	return m
}
