package metrics

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// runsCollector reports the job runs of every virtual cluster by state, and
// each one's queue (its PENDING runs), from one grouped query of the store
// reused for cacheFor, so that a scrape costs at most one query however
// often Prometheus comes.
type runsCollector struct {
	counter  RunCounter
	cacheFor time.Duration
	now      func() time.Time
	log      *slog.Logger

	runs, queue, scrapeErrors *prometheus.Desc

	mu     sync.Mutex
	counts []store.JobRunCount
	read   time.Time // when counts were read; zero: never
	errs   float64   // failed reads
}

func newRunsCollector(c RunCounter, cacheFor time.Duration, now func() time.Time, log *slog.Logger) *runsCollector {
	return &runsCollector{counter: c, cacheFor: cacheFor, now: now, log: log,
		runs: prometheus.NewDesc(JobRuns, "Job runs in the store, by virtual cluster and state (every server's).",
			[]string{"virtual_cluster_id", "state"}, nil),
		queue: prometheus.NewDesc(QueueDepth, "Job runs waiting in a virtual cluster's queue (PENDING).",
			[]string{"virtual_cluster_id"}, nil),
		scrapeErrors: prometheus.NewDesc(ScrapeErrors, "Reads of the job-run counts for a scrape that failed.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *runsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.runs
	ch <- c.queue
	ch <- c.scrapeErrors
}

// Collect implements prometheus.Collector. A failed read reports the last
// counts read, if any, and counts the failure.
func (c *runsCollector) Collect(ch chan<- prometheus.Metric) {
	counts, errs := c.current()
	queued := map[string]int{}
	for _, n := range counts {
		ch <- prometheus.MustNewConstMetric(c.runs, prometheus.GaugeValue, float64(n.Count), n.VirtualClusterID, string(n.State))
		if _, seen := queued[n.VirtualClusterID]; !seen {
			queued[n.VirtualClusterID] = 0
		}
		if n.State == emr.JobRunPending {
			queued[n.VirtualClusterID] += n.Count
		}
	}
	for vc, n := range queued {
		ch <- prometheus.MustNewConstMetric(c.queue, prometheus.GaugeValue, float64(n), vc)
	}
	ch <- prometheus.MustNewConstMetric(c.scrapeErrors, prometheus.CounterValue, errs)
}

// current returns the counts, read again once older than cacheFor.
func (c *runsCollector) current() ([]store.JobRunCount, float64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	now := c.now()
	if !c.read.IsZero() && now.Sub(c.read) < c.cacheFor {
		return c.counts, c.errs
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	counts, err := c.counter.JobRunCounts(ctx)
	if err != nil {
		c.errs++
		c.log.Warn("could not count the job runs for metrics", "err", err)
		return c.counts, c.errs
	}
	c.counts, c.read = counts, now
	return counts, c.errs
}
