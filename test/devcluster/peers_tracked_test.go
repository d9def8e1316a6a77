package devcluster

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// BenchmarkTrackedRunsRSS measures the sparkplane server's memory with
// 1,000 runs tracked: runs the server is responsible for and has not
// finished, each handed to the embedded cluster and followed there. The
// runs are pi.py in SPARKPLANE_TRACKED_MODE (job-runner by default, or
// native) whose pods select a node label no node has (the job runner's
// through the emr-job-submitter classification, the driver's through
// spark.kubernetes.node.selector), so every run's Kubernetes objects exist
// and stay Pending: the server's informers hold them all and its controller
// keeps every run open. Runs an admission step still holds PENDING count as
// tracked too; the log gives the states. Reported: the server's RSS once
// the 1,000 runs settled (30 s after the last change of a state or of the
// number of pods), its anonymous and file-backed parts, its peak (VmHWM)
// from the first submission on, and its CPU seconds meanwhile.
// SPARKPLANE_TRACKED_PROFILE=<dir> also saves the server's heap profile
// (heap.pb.gz, after a GC), its runtime memory statistics (memstats.txt)
// and its goroutines (goroutines.txt) there, taken at that moment. Then
// every run is cancelled.
//
//	go test -run '^$' -bench TrackedRunsRSS -benchtime 1x -timeout 60m -v ./test/devcluster/
func BenchmarkTrackedRunsRSS(b *testing.B) {
	if b.N > 1 {
		b.Fatal("BenchmarkTrackedRunsRSS runs once: use -benchtime 1x")
	}
	runs := 1000
	if v := envOr("SPARKPLANE_TRACKED_RUNS", ""); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			b.Fatalf("SPARKPLANE_TRACKED_RUNS=%q: want a positive count", v)
		}
		runs = n
	}
	mode := envOr("SPARKPLANE_TRACKED_MODE", peerJobRunner)
	ctx := context.Background()
	p := &sparkplanePeer{mode: mode, ns: "tracked-" + mode}
	p.prepare(b)
	pid := p.pid()
	before, err := statusKB(pid, "VmRSS")
	if err != nil {
		b.Fatal(err)
	}
	if err := resetPeakRSS(pid); err != nil {
		b.Fatal(err)
	}
	cpu0, err := readProcStat(pid)
	if err != nil {
		b.Fatal(err)
	}
	ids := make([]string, runs)
	var next atomic.Int64
	var wg sync.WaitGroup
	t0 := time.Now()
	params := "--conf spark.executor.instances=1 --conf spark.kubernetes.node.selector.sparkplane.io/bench=nowhere"
	overrides := &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{
		{Classification: aws.String("sparkplane"), Properties: map[string]string{"submissionMode": mode}},
		{Classification: aws.String("emr-job-submitter"), Properties: map[string]string{"jobsubmitter.node.selector.sparkplane.io/bench": "nowhere"}}}}
	for range 16 {
		wg.Go(func() {
			for i := int(next.Add(1)) - 1; i < runs; i = int(next.Add(1)) - 1 {
				out, err := sdk().StartJobRun(ctx, &emrcontainers.StartJobRunInput{VirtualClusterId: &p.vc, Name: aws.String(fmt.Sprintf("tracked-%d", i)),
					ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String(peerRelease),
					JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
						EntryPoint: aws.String(piEntryPoint), SparkSubmitParameters: aws.String(params)}},
					ConfigurationOverrides: overrides})
				if err != nil {
					b.Errorf("StartJobRun %d: %v", i, err)
					return
				}
				ids[i] = aws.ToString(out.Id)
			}
		})
	}
	wg.Wait()
	if b.Failed() {
		b.FailNow()
	}
	b.Logf("%d runs started in %v", runs, time.Since(t0).Round(time.Millisecond))
	keys := map[string]bool{}
	for _, id := range ids {
		keys[id] = true
	}
	b.Cleanup(func() { cancelTracked(b, p, ids) })
	counts, settled := settleTracked(b, p, keys)
	// One reading of the process, before a profile's collection changes it.
	mem := map[string]int64{}
	for _, key := range []string{"VmRSS", "VmHWM", "RssAnon", "RssFile"} {
		if mem[key], err = statusKB(pid, key); err != nil {
			b.Fatal(err)
		}
	}
	rss, peak, anon, file := mem["VmRSS"], mem["VmHWM"], mem["RssAnon"], mem["RssFile"]
	cpu1, err := readProcStat(pid)
	if err != nil {
		b.Fatal(err)
	}
	if dir := envOr("SPARKPLANE_TRACKED_PROFILE", ""); dir != "" {
		saveHeapProfile(b, dir)
	}
	pods, err := kube.CoreV1().Pods(p.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d runs (%s mode): states %v after %v; %d pods in %s; server RSS %.0f MB before, %.0f MB with the runs tracked "+
		"(%.0f MB anonymous, %.0f MB of the binary's and libraries' pages), peak %.0f MB; server CPU %.1f s",
		runs, mode, counts, settled.Round(time.Second), len(pods.Items), p.ns, float64(before)/1024, float64(rss)/1024,
		float64(anon)/1024, float64(file)/1024, float64(peak)/1024, (cpu1.cpu - cpu0.cpu).Seconds())
	if ended := counts[string(types.JobRunStateCompleted)] + counts[string(types.JobRunStateFailed)] + counts[string(types.JobRunStateCancelled)]; ended > 0 {
		b.Fatalf("%d of the runs ended; they were meant to stay tracked: %v", ended, counts)
	}
	b.ReportMetric(float64(rss)/1024, "rss-MB")
	b.ReportMetric(float64(peak)/1024, "peak-rss-MB")
	b.ReportMetric(float64(anon)/1024, "anon-rss-MB")
	b.ReportMetric((cpu1.cpu - cpu0.cpu).Seconds(), "server-cpu-s")
	b.ReportMetric(float64(runs), "runs-tracked")
}

// settleTracked waits until the runs' states and the number of pods in
// their namespace stop changing for 30 s (at most 10 minutes) and returns
// the count per state and how long it took.
func settleTracked(b *testing.B, p *sparkplanePeer, keys map[string]bool) (map[string]int, time.Duration) {
	t0 := time.Now()
	var last map[string]int
	lastSeen := ""
	changed := time.Now()
	for time.Since(t0) < 10*time.Minute {
		st, err := p.states(context.Background(), keys)
		if err != nil {
			b.Fatal(err)
		}
		counts := map[string]int{}
		for _, o := range st {
			counts[o.detail]++ // the state, with details for ended runs
		}
		// The cluster makes the runs' pods after the runs are SUBMITTED
		// (a Job's pod, in job-runner mode): settled means those too.
		pods, err := kube.CoreV1().Pods(p.ns).List(context.Background(), metav1.ListOptions{ResourceVersion: "0"})
		if err != nil {
			b.Fatal(err)
		}
		if seen := fmt.Sprint(counts, len(pods.Items)); seen != lastSeen {
			last, lastSeen, changed = counts, seen, time.Now()
		}
		if time.Since(changed) >= 30*time.Second {
			break
		}
		time.Sleep(2 * time.Second)
	}
	return stateCounts(last), changed.Sub(t0)
}

// stateCounts folds "FAILED: details" keys to their state.
func stateCounts(detailed map[string]int) map[string]int {
	out := map[string]int{}
	for k, n := range detailed {
		state, _, _ := strings.Cut(k, ":")
		out[state] += n
	}
	return out
}

// cancelTracked cancels the runs and deletes what is left in the namespace.
func cancelTracked(b *testing.B, p *sparkplanePeer, ids []string) {
	var open []string
	for _, id := range ids {
		if id != "" {
			open = append(open, id)
		}
	}
	if err := p.abandon(context.Background(), open); err != nil {
		b.Logf("cancelling the tracked runs: %v", err)
	}
	zero := int64(0)
	if err := kube.CoreV1().Pods(p.ns).DeleteCollection(context.Background(), metav1.DeleteOptions{GracePeriodSeconds: &zero}, metav1.ListOptions{}); err != nil {
		b.Logf("deleting the pods of %s: %v", p.ns, err)
	}
}

// saveHeapProfile writes the shared server's heap profile, memory
// statistics and goroutines into dir (metrics.profiling is on in its config).
func saveHeapProfile(b *testing.B, dir string) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	for name, query := range map[string]string{"heap.pb.gz": "heap?gc=1", "memstats.txt": "heap?debug=1", "goroutines.txt": "goroutine?debug=1"} {
		resp, err := http.Get(srv.URL + "/debug/pprof/" + query)
		if err != nil {
			b.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			b.Fatalf("heap profile: status %d, %v: %s", resp.StatusCode, err, body)
		}
		if name == "memstats.txt" { // the statistics are at the end
			if i := bytes.Index(body, []byte("\n# runtime.MemStats")); i >= 0 {
				body = body[i+1:]
			}
		}
		if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
			b.Fatal(err)
		}
	}
	b.Logf("heap profile and memory statistics in %s (go tool pprof -sample_index=inuse_space -top %s)", dir, filepath.Join(dir, "heap.pb.gz"))
}
