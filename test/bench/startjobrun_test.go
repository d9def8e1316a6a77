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
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// discard stands in for the controller: the runtime is out of the measurement.
type discard struct{}

func (discard) Enqueue(string, string) {}
func (discard) WakeQueue(string)       {}

// BenchmarkStartJobRun measures StartJobRun accepted per second and its
// latency on the SQLite store, with many concurrent HTTP clients on
// keep-alive connections. Each b.N is one batch of `requests` calls.
func BenchmarkStartJobRun(b *testing.B) {
	for _, clients := range []int{16, 64} {
		b.Run(fmt.Sprintf("clients=%d", clients), func(b *testing.B) {
			benchStartJobRun(b, clients, 20000, nil)
		})
	}
}

// BenchmarkStartJobRunAuth is BenchmarkStartJobRun at 16 clients without
// and with authentication (SigV4 verification against an access file) and
// authorization (IAM policy evaluation, iam:PassRole included), side by
// side. Clients sign every request in both, as the SDKs do.
func BenchmarkStartJobRunAuth(b *testing.B) {
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("auth=%t", on), func(b *testing.B) {
			var authn api.Authenticator
			if on {
				authn = benchAuthenticator(b)
			}
			benchStartJobRun(b, 16, 20000, authn)
		})
	}
}

func benchStartJobRun(b *testing.B, clients, requests int, authn api.Authenticator) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "bench.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	srv := api.New(st, discard{}, api.Options{
		Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters:  []string{"local"},
		Auth:      authn,
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	hc := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients, MaxConnsPerHost: clients}}

	resp, err := hc.Do(signedPost(b, ts.URL+"/virtualclusters",
		`{"name":"bench","clientToken":"vc","containerProvider":{"type":"EKS","id":"local","info":{"eksInfo":{"namespace":"bench"}}}}`))
	if err != nil {
		b.Fatal(err)
	}
	var vc struct{ ID string }
	decode(b, resp, &vc)
	url := ts.URL + "/virtualclusters/" + vc.ID + "/jobruns"

	var token atomic.Int64
	var total time.Duration
	var lat []time.Duration
	b.ResetTimer()
	for range b.N {
		batch := make([]time.Duration, requests)
		var next atomic.Int64
		var wg sync.WaitGroup
		start := time.Now()
		for range clients {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					i := next.Add(1) - 1
					if i >= int64(requests) {
						return
					}
					body := fmt.Sprintf(`{"name":"pi","clientToken":"t-%d","executionRoleArn":"arn:aws:iam::123456789012:role/emr-job",
"releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///usr/lib/spark/examples/src/main/python/pi.py",
"sparkSubmitParameters":"--conf spark.executor.instances=2 --conf spark.executor.memory=2G --conf spark.executor.cores=1 --conf spark.driver.cores=1"}}}`, token.Add(1))
					t0 := time.Now()
					resp, err := hc.Do(signedPost(b, url, body))
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
					batch[i] = time.Since(t0)
				}
			}()
		}
		wg.Wait()
		total += time.Since(start)
		lat = append(lat, batch...)
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(len(lat))/total.Seconds(), "runs/s")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(0, "ns/op")
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
