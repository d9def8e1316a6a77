package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	dto "github.com/prometheus/client_model/go"

	"github.com/sparkplane/sparkplane/internal/metrics"
	"github.com/sparkplane/sparkplane/internal/metrics/metricstest"
	"github.com/sparkplane/sparkplane/internal/testenv"
)

// TestMetricsCountWhatRan: a server that made three real Spark runs (two
// COMPLETED, one FAILED) and a known set of API calls reports exactly
// those in /metrics, scraped over HTTP and parsed with Prometheus' own
// parser; the Grafana dashboard refers only to metrics that exist, in that
// scrape or in the scrape of a running Spark driver's UI.
func TestMetricsCountWhatRan(t *testing.T) {
	s := startServer(t, "")
	ctx := context.Background()
	calls := map[string]int{} // "operation code" → calls made
	vc := createVC(t, s.Client, "metrics", "default")
	calls["CreateVirtualCluster 200"]++

	// waitState polls the run, counting the calls, until done holds.
	waitState := func(id string, done func(types.JobRunState) bool) *types.JobRun {
		t.Helper()
		deadline := time.Now().Add(3 * time.Minute)
		for {
			out, err := s.Client.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)})
			if err != nil {
				t.Fatalf("DescribeJobRun: %v", err)
			}
			calls["DescribeJobRun 200"]++
			if done(out.JobRun.State) {
				return out.JobRun
			}
			if time.Now().After(deadline) {
				t.Fatalf("run %s still %s", id, out.JobRun.State)
			}
			time.Sleep(200 * time.Millisecond)
		}
	}
	running := func(st types.JobRunState) bool { return st == types.JobRunStateRunning || terminal(st) }
	start := func(name, entryPoint, params string, args ...string) string {
		t.Helper()
		id := startJob(t, s.Client, vc, name, entryPoint, params, args...)
		calls["StartJobRun 200"]++
		return id
	}

	// 1. An application that holds its driver (and its UI, with Spark's
	// Prometheus endpoints on) until the test has scraped it.
	dir := testenv.SharedDir(t)
	hold := filepath.Join(dir, "prom.py")
	writeFile(t, hold, `
import os, sys, time
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("metrics-e2e").getOrCreate()
spark.range(100000).selectExpr("sum(id)").collect()
deadline = time.time() + 150
while not os.path.exists(sys.argv[1]) and time.time() < deadline:
    time.sleep(0.2)
if sys.argv[2] == "fail":
    raise ValueError("sparkplane metrics test failure")
`)
	uiPort := freePort(t)
	release := filepath.Join(dir, "release-1")
	held := start("held", "file://"+hold, fmt.Sprintf("--conf spark.executor.instances=1 --conf spark.ui.port=%d --conf spark.ui.prometheus.enabled=true", uiPort), release, "ok")
	if run := waitState(held, running); run.State != types.JobRunStateRunning {
		t.Fatalf("held run %s (%s), want RUNNING", run.State, aws.ToString(run.StateDetails))
	}
	spark := scrapeSpark(t, fmt.Sprintf("http://127.0.0.1:%d/metrics/executors/prometheus/", uiPort))
	writeFile(t, release, "")
	if run := waitState(held, terminal); run.State != types.JobRunStateCompleted {
		t.Fatalf("held run %s (%s), want COMPLETED", run.State, aws.ToString(run.StateDetails))
	}

	// 2. One that fails once its driver is seen RUNNING; 3. pi.py.
	release = filepath.Join(dir, "release-2")
	failing := start("failing", "file://"+hold, "--conf spark.executor.instances=1", release, "fail")
	if run := waitState(failing, running); run.State != types.JobRunStateRunning {
		t.Fatalf("failing run %s (%s), want RUNNING", run.State, aws.ToString(run.StateDetails))
	}
	writeFile(t, release, "")
	if run := waitState(failing, terminal); run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonUserError {
		t.Fatalf("failing run %s %s (%s), want FAILED USER_ERROR", run.State, run.FailureReason, aws.ToString(run.StateDetails))
	}
	pi := start("pi", piEntryPoint, piParams)
	if run := waitState(pi, terminal); run.State != types.JobRunStateCompleted {
		t.Fatalf("pi %s (%s), want COMPLETED", run.State, aws.ToString(run.StateDetails))
	}

	// A refused call and a listing.
	resp, err := http.Get(s.URL + "/virtualclusters/" + vc + "/jobruns/0000000000000000000")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	calls[fmt.Sprintf("DescribeJobRun %d", resp.StatusCode)]++
	if _, err := s.Client.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc)}); err != nil {
		t.Fatal(err)
	}
	calls["ListJobRuns 200"]++

	mf := scrapeMetrics(t, s.URL+metrics.Path, "")
	got := map[string]int{}
	for _, m := range mf[metrics.APIRequests].GetMetric() {
		got[metricstest.Label(m, "operation")+" "+metricstest.Label(m, "code")] = int(m.GetCounter().GetValue())
	}
	if fmt.Sprint(got) != fmt.Sprint(calls) {
		t.Errorf("%s = %v, want the calls made %v", metrics.APIRequests, got, calls)
	}
	for _, c := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{metrics.APIRequestDuration, map[string]string{"operation": "StartJobRun"}, 3},
		{metrics.JobRunsFinished, map[string]string{"state": "COMPLETED", "failure_reason": ""}, 2},
		{metrics.JobRunsFinished, map[string]string{"state": "FAILED", "failure_reason": "USER_ERROR"}, 1},
		{metrics.SubmitLatency, nil, 3}, // every run was SUBMITTED
		{metrics.StartLatency, nil, 3},  // and RUNNING
		{metrics.JobRuns, map[string]string{"virtual_cluster_id": vc, "state": "COMPLETED"}, 2},
		{metrics.JobRuns, map[string]string{"virtual_cluster_id": vc, "state": "FAILED"}, 1},
		{metrics.QueueDepth, map[string]string{"virtual_cluster_id": vc}, 0},
		{metrics.LeasesHeld, nil, 0}, // SQLite: no leases
		{metrics.ReconcileErrors, nil, 0},
		{metrics.RuntimeErrors, map[string]string{"cluster": "local", "operation": "submit"}, 0},
		{metrics.StoreDuration, map[string]string{"operation": "CreateJobRun"}, 3},
		{metrics.StoreErrors, map[string]string{"operation": "GetJobRun"}, 0}, // not found is an answer
	} {
		if got := metricstest.Value(mf, c.name, c.labels); got != c.want {
			t.Errorf("%s%v = %v, want %v", c.name, c.labels, got, c.want)
		}
	}
	if f := mf[metrics.JobRunsFinished]; len(f.GetMetric()) != 2 {
		t.Errorf("%s has %d series, want 2 (COMPLETED, FAILED USER_ERROR)", metrics.JobRunsFinished, len(f.GetMetric()))
	}
	// The latencies are those of the runs: createdAt → RUNNING is at least createdAt → SUBMITTED.
	sub, run := mf[metrics.SubmitLatency].GetMetric()[0].GetHistogram(), mf[metrics.StartLatency].GetMetric()[0].GetHistogram()
	if sub.GetSampleSum() <= 0 || run.GetSampleSum() < sub.GetSampleSum() {
		t.Errorf("latency sums: to SUBMITTED %v s, to RUNNING %v s", sub.GetSampleSum(), run.GetSampleSum())
	}

	checkDashboard(t, mf, spark)
}

// checkDashboard: every metric the dashboard's queries name exists in the
// server's scrape or in Spark's, and every sparkplane metric is on it.
func checkDashboard(t *testing.T, server, spark map[string]*dto.MetricFamily) {
	t.Helper()
	var dash struct {
		Panels []struct {
			Title   string
			Targets []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Name       string
				Definition string
			}
		}
	}
	if err := json.Unmarshal([]byte(readFile(t, "../../deploy/grafana/sparkplane.json")), &dash); err != nil {
		t.Fatalf("dashboard: %v", err)
	}
	used := map[string]bool{}
	for _, p := range dash.Panels {
		for _, tg := range p.Targets {
			names := promqlMetrics(tg.Expr)
			if len(names) == 0 {
				t.Errorf("panel %q: no metric in %q", p.Title, tg.Expr)
			}
			for _, n := range names {
				used[n] = true
			}
		}
	}
	for _, v := range dash.Templating.List {
		if m := labelValues.FindStringSubmatch(v.Definition); m != nil {
			used[m[1]] = true
		}
	}
	for n := range used {
		if !exported(server, n) && !exported(spark, n) {
			t.Errorf("the dashboard uses %s, which neither sparkplane nor Spark exports", n)
		}
	}
	for n := range server {
		if strings.HasPrefix(n, "sparkplane_") && n != metrics.ScrapeErrors && !used[n] && !used[n+"_bucket"] && !used[n+"_count"] {
			t.Errorf("%s is on no panel of the dashboard", n)
		}
	}
	if !used["metrics_executor_activeTasks"] {
		t.Errorf("the dashboard shows no Spark executor metric")
	}
}

var (
	labelValues = regexp.MustCompile(`^label_values\(\s*([a-zA-Z_:][a-zA-Z0-9_:]*)`)
	// What a PromQL expression holds besides metric names: strings, label
	// matchers, ranges, grouping clauses; then names, and what follows.
	promqlStrings  = regexp.MustCompile(`"(?:[^"\\]|\\.)*"`)
	promqlMatchers = regexp.MustCompile(`\{[^}]*\}`)
	promqlRanges   = regexp.MustCompile(`\[[^\]]*\]`)
	promqlGrouping = regexp.MustCompile(`\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)`)
	promqlIdent    = regexp.MustCompile(`[a-zA-Z_:][a-zA-Z0-9_:]*\s*\(?`)
	promqlKeywords = []string{"by", "without", "on", "ignoring", "group_left", "group_right", "bool", "offset", "and", "or", "unless", "inf", "nan"}
)

// promqlMetrics returns the metric names expr selects: identifiers that are
// neither functions or aggregations (followed by "("), keywords, nor label
// names.
func promqlMetrics(expr string) []string {
	for _, re := range []*regexp.Regexp{promqlStrings, promqlMatchers, promqlRanges, promqlGrouping} {
		expr = re.ReplaceAllString(expr, " ")
	}
	var names []string
	for _, m := range promqlIdent.FindAllString(expr, -1) {
		if strings.HasSuffix(m, "(") || slices.Contains(promqlKeywords, strings.ToLower(strings.TrimSpace(m))) {
			continue
		}
		names = append(names, strings.TrimSpace(m))
	}
	return names
}

// exported says whether the scrape mf has the series name (a histogram's
// _bucket, _sum and _count included).
func exported(mf map[string]*dto.MetricFamily, name string) bool {
	if mf[name] != nil {
		return true
	}
	for _, suffix := range []string{"_bucket", "_sum", "_count"} {
		if base, ok := strings.CutSuffix(name, suffix); ok && mf[base] != nil &&
			(mf[base].GetType() == dto.MetricType_HISTOGRAM || suffix != "_bucket" && mf[base].GetType() == dto.MetricType_SUMMARY) {
			return true
		}
	}
	return false
}

// scrapeMetrics reads url (with the bearer token, if any) and parses it
// with Prometheus' text parser.
func scrapeMetrics(t *testing.T, url, token string) map[string]*dto.MetricFamily {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("GET %s: %s: %s", url, resp.Status, b)
	}
	mf, err := metricstest.Parse(resp.Body)
	if err != nil {
		t.Fatalf("parse %s: %v", url, err)
	}
	return mf
}

// scrapeSpark scrapes a Spark driver's UI once its executors' metrics show.
func scrapeSpark(t *testing.T, url string) map[string]*dto.MetricFamily {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		resp, err := http.Get(url)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && strings.Contains(string(b), "metrics_executor_totalCores") {
				mf, err := metricstest.Parse(strings.NewReader(string(b)))
				if err != nil {
					t.Fatalf("parse Spark's %s: %v\n%s", url, err, b)
				}
				return mf
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("Spark's %s never served executor metrics (last error %v)", url, err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// freePort is a TCP port free on loopback now.
func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// writeFile writes a file the users jobs run as can read.
func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}
