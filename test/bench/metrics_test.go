package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/metrics"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// BenchmarkStartJobRunMetrics measures StartJobRun throughput on the
// SQLite store, 16 concurrent clients, without and with metrics (requests
// counted and timed, the store timed, /metrics scraped every second with
// its grouped job-run count), side by side in one run.
//
// Two servers, each able to serve either way, take turns: each b.N is a
// pair of 2000-call batches, one server with metrics and the other
// without, which one has them and which goes first alternating, so that
// neither a server's own drift nor the order weighs on one side. The
// load of other processes changes over a run, so the median of the
// pairs' throughput ratios, on/off, is reported, with both overall rates.
func BenchmarkStartJobRunMetrics(b *testing.B) {
	const clients, requests = 16, 2000
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	servers := [2]*target{metricsTarget(b), metricsTarget(b)}
	for _, s := range servers {
		go s.scrape(ctx, time.Second) // a Prometheus that scrapes often
	}
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}
	var tOff, tOn time.Duration
	ratios := make([]float64, 0, b.N)
	b.ResetTimer()
	for i := range b.N {
		off, on := servers[i%2], servers[1-i%2]
		off.metrics.Store(false)
		on.metrics.Store(true)
		var dOff, dOn time.Duration
		if i/2%2 == 0 {
			dOff = startJobRunBatch(b, hc, off, clients, requests)
			dOn = startJobRunBatch(b, hc, on, clients, requests)
		} else {
			dOn = startJobRunBatch(b, hc, on, clients, requests)
			dOff = startJobRunBatch(b, hc, off, clients, requests)
		}
		tOff, tOn = tOff+dOff, tOn+dOn
		ratios = append(ratios, dOff.Seconds()/dOn.Seconds()) // throughput on / off
	}
	b.StopTimer()
	n := float64(b.N * requests)
	slices.Sort(ratios)
	b.ReportMetric(n/tOff.Seconds(), "off-runs/s")
	b.ReportMetric(n/tOn.Seconds(), "on-runs/s")
	b.ReportMetric(ratios[len(ratios)/2], "on/off-median")
	b.ReportMetric(0, "ns/op")
}

// target is a server StartJobRun batches are sent to: over one SQLite
// store, an API server without metrics and one with them (the store timed
// and /metrics served), metrics choosing which answers.
type target struct {
	base, url string
	metrics   atomic.Bool
	token     atomic.Int64
}

// metricsTarget starts a target and creates its virtual cluster.
func metricsTarget(b *testing.B) *target {
	st, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	opts := api.Options{
		Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters:  []string{"local"},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	}
	plain := api.New(st, discard{}, opts)
	m := metrics.New(metrics.Options{Runs: st, Clusters: []string{"local"}, Leases: func() int { return 0 }})
	opts.Metrics = m
	measured := http.NewServeMux()
	measured.Handle(metrics.Path, m.Handler(metrics.Access{}))
	measured.Handle("/", api.New(m.Store(st), discard{}, opts))
	t := &target{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if t.metrics.Load() {
			measured.ServeHTTP(w, r)
		} else {
			plain.ServeHTTP(w, r)
		}
	}))
	b.Cleanup(ts.Close)
	t.base = ts.URL
	resp, err := http.Post(ts.URL+"/virtualclusters", "application/json", strings.NewReader(
		`{"name":"bench","clientToken":"vc","containerProvider":{"type":"EKS","id":"local","info":{"eksInfo":{"namespace":"bench"}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	var vc struct{ ID string }
	decode(b, resp, &vc)
	t.url = ts.URL + "/virtualclusters/" + vc.ID + "/jobruns"
	return t
}

// scrape reads t's /metrics every period while t has metrics on, until
// ctx ends.
func (t *target) scrape(ctx context.Context, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			if !t.metrics.Load() {
				continue
			}
			if resp, err := http.Get(t.base + metrics.Path); err == nil {
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			}
		}
	}
}

// startJobRunBatch sends requests StartJobRun calls to t from clients
// concurrent clients and returns how long they took.
func startJobRunBatch(b *testing.B, hc *http.Client, t *target, clients, requests int) time.Duration {
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range clients {
		wg.Go(func() {
			for next.Add(1) <= int64(requests) {
				body := fmt.Sprintf(`{"name":"pi","clientToken":"t-%d","executionRoleArn":"arn:aws:iam::123456789012:role/emr-job",
"releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///usr/lib/spark/examples/src/main/python/pi.py",
"sparkSubmitParameters":"--conf spark.executor.instances=2 --conf spark.executor.memory=2G --conf spark.executor.cores=1 --conf spark.driver.cores=1"}}}`, t.token.Add(1))
				resp, err := hc.Post(t.url, "application/json", strings.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Errorf("status %d", resp.StatusCode)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(start)
}
