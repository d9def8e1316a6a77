package bench

import (
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// storedRuns is how many job runs the query benchmark stores, all in the
// virtual cluster it queries (the worst case for that cluster's listings).
const storedRuns = 1_000_000

// samples is how many times each query is timed.
const samples = 2000

// BenchmarkJobRunQueries stores 1,000,000 job runs in each store (SQLite,
// PostgreSQL), then times, one request at a time over HTTP against the real
// API handler: ListJobRuns' first page (50), a page filtered on states and
// name, and DescribeJobRun of random runs. It reports p50 and p99 of each.
// The filling is bulk SQL in the store's own schema (see fill*), not timed.
func BenchmarkJobRunQueries(b *testing.B) {
	onBothStores(b, fillSQLite, fillPostgres, benchQueries)
}

func benchQueries(b *testing.B, st store.Store, vc *emr.VirtualCluster) {
	b.Logf("stored %d job runs", storedRuns)

	srv := api.New(st, discard{}, api.Options{
		Partition: benchPartition,
		Clusters:  []string{"local"},
		Logger:    slog.New(slog.NewTextHandler(io.Discard, nil)),
	})
	ts := httptest.NewServer(srv)
	defer ts.Close()
	hc := &http.Client{}
	base := ts.URL + "/virtualclusters/" + vc.ID + "/jobruns"

	// What each query must return, checked once before timing it.
	filtered := url.Values{"maxResults": {"50"}, "states": {"FAILED", "CANCELLED"}, "name": {benchName(42)}}
	var page struct {
		JobRuns []struct {
			ID    string `json:"id"`
			Name  string `json:"name"`
			State string `json:"state"`
		} `json:"jobRuns"`
		NextToken string `json:"nextToken"`
	}
	resp, err := hc.Get(base + "?" + filtered.Encode())
	if err != nil {
		b.Fatal(err)
	}
	decode(b, resp, &page)
	if len(page.JobRuns) != 50 || page.NextToken == "" {
		b.Fatalf("filtered page: %d runs, nextToken %q; want 50 and more", len(page.JobRuns), page.NextToken)
	}
	for _, r := range page.JobRuns {
		if r.Name != benchName(42) || (r.State != "FAILED" && r.State != "CANCELLED") {
			b.Fatalf("filtered page holds %+v", r)
		}
	}

	rng := rand.New(rand.NewPCG(1, 2))
	queries := []struct {
		name string
		url  func() string
	}{
		{"ListJobRuns-first-page", func() string { return base + "?maxResults=50" }},
		{"ListJobRuns-states+name", func() string {
			q := url.Values{"maxResults": {"50"}, "states": {"FAILED", "CANCELLED"}, "name": {benchName(rng.IntN(benchNames))}}
			return base + "?" + q.Encode()
		}},
		{"DescribeJobRun", func() string { return base + "/" + benchRunID(rng.IntN(storedRuns)) }},
	}
	b.ResetTimer()
	for range b.N {
		for _, q := range queries {
			lat := make([]time.Duration, 0, samples)
			for range samples {
				u := q.url()
				t0 := time.Now()
				resp, err := hc.Get(u)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusOK {
					b.Fatalf("%s: status %s", u, resp.Status)
				}
				lat = append(lat, time.Since(t0))
			}
			slices.Sort(lat)
			b.ReportMetric(ms(lat[len(lat)/2]), q.name+"-p50-ms")
			b.ReportMetric(ms(lat[len(lat)*99/100]), q.name+"-p99-ms")
		}
	}
	b.ReportMetric(0, "ns/op")
}

var (
	benchEpoch     = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	benchPartition = emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"}
	benchIDs       = sync.OnceValue(func() []string { // time-ordered, as the API makes them
		var gen emr.JobRunIDs
		ids := make([]string, storedRuns)
		for i := range ids {
			ids[i] = gen.Next(benchCreated(i))
		}
		return ids
	})
)

// benchNames distinct run names, spread at random.
const benchNames = 200

func benchName(i int) string           { return fmt.Sprintf("etl-%03d", mix(i)%benchNames) }
func benchRunID(i int) string          { return benchIDs()[i] }
func benchCreated(i int) time.Time     { return benchEpoch.Add(time.Duration(i) * 30 * time.Second) } // a year
func benchState(i int) emr.JobRunState { return benchStates[(mix(i)>>32)%uint64(len(benchStates))] }

// mix scrambles i (splitmix64), so that a run's name and state are
// independent of each other and of its age.
func mix(i int) uint64 {
	z := uint64(i) + 0x9e3779b97f4a7c15
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9
	z = (z ^ (z >> 27)) * 0x94d049bb133111eb
	return z ^ (z >> 31)
}

// benchStates: 90 % COMPLETED, 6 % FAILED, 3 % CANCELLED, 1 % still running.
var benchStates = func() []emr.JobRunState {
	var s []emr.JobRunState
	for range 90 {
		s = append(s, emr.JobRunCompleted)
	}
	for range 6 {
		s = append(s, emr.JobRunFailed)
	}
	for range 3 {
		s = append(s, emr.JobRunCancelled)
	}
	return append(s, emr.JobRunRunning)
}()

// benchRun is run i of the benchmark, as the API would have stored it.
func benchRun(vc *emr.VirtualCluster, i int) *emr.JobRun {
	created := benchCreated(i)
	run := &emr.JobRun{
		ID: benchRunID(i), Name: benchName(i), VirtualClusterID: vc.ID, ARN: benchPartition.JobRunARN(vc.ID, benchRunID(i)),
		State: benchState(i), ClientToken: fmt.Sprint("token-", i),
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/EMRJobRole", ReleaseLabel: "emr-7.2.0-latest",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
			EntryPoint:            "s3://bucket/jobs/etl.py",
			EntryPointArguments:   []string{"--date", created.Format("2006-01-02")},
			SparkSubmitParameters: "--conf spark.executor.instances=4 --conf spark.executor.memory=4G --conf spark.executor.cores=2",
		}},
		ConfigurationOverrides: &emr.ConfigurationOverrides{
			ApplicationConfiguration: []emr.Configuration{{Classification: "spark-defaults", Properties: map[string]string{"spark.driver.memory": "2G"}}},
			MonitoringConfiguration:  &emr.MonitoringConfiguration{S3MonitoringConfiguration: &emr.S3MonitoringConfiguration{LogURI: "s3://bucket/logs/"}},
		},
		CreatedAt: created,
		CreatedBy: "arn:aws:iam::123456789012:user/etl",
	}
	if run.State.Terminal() {
		finished := created.Add(7 * time.Minute)
		run.FinishedAt = &finished
		run.StateDetails = "Job run completed successfully."
		if run.State == emr.JobRunFailed {
			run.FailureReason, run.StateDetails = emr.FailureUser, "spark-submit exited with code 1: ValueError: bad input"
		}
	}
	return run
}
