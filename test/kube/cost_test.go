package kube

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/cli"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/cost/export"
	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// costPricing prices the test's nodes in round figures. With
// cpuMemoryRatio 4, a node's hourly price splits as
// mem = hourly / (4 × vCPU + GiB), cpu = 4 × mem:
//
//	m5.xlarge  spot       0.16 / (16 + 16) → $0.02 per vCPU-h, $0.005 per GiB-h
//	m5.2xlarge on-demand  0.64 / (32 + 32) → $0.04 per vCPU-h, $0.01  per GiB-h
const costPricing = `currency: USD
spotFraction: 0.5
cpuMemoryRatio: 4
fallback: {perVCPUHour: 0.04, perGiBHour: 0.01}
instances:
  m5.xlarge:  {vcpu: 4, memoryGiB: 16, onDemand: 0.32, spot: 0.16}
  m5.2xlarge: {vcpu: 8, memoryGiB: 32, onDemand: 0.64}
`

// TestCostOfARunOnLabelledNodes: a run's driver and executors on two
// labelled nodes (a spot m5.xlarge in us-east-1a, an on-demand m5.2xlarge in
// us-east-1b), with lifetimes across midnight that the test plays as the
// kubelet, cost what this hand computation says, to the cent, through GET
// /sparkplane/v1/cost and through `sparkplane cost`, with the nodes' idle
// cost in rows of its own. D is yesterday's midnight (UTC), so the window
// [D-1, D+1) is two whole days in the past, read from the daily rollups.
//
//	pod        node       request       D-1            D             hours  cpu                mem               total
//	driver     on-demand  1 vCPU 4 GiB  22:00 → 02:00  2 h + 2 h     4      1×4×0.04  = 0.16   4×4×0.01  = 0.16  0.32 (0.16 + 0.16)
//	exec-1     spot       2 vCPU 8 GiB  22:30 → 01:30  1.5 h + 1.5   3      2×3×0.02  = 0.12   8×3×0.005 = 0.12  0.24 (0.12 + 0.12)
//	exec-2     spot       2 vCPU 8 GiB  23:00 → 00:30  1 h + 0.5 h   1.5    2×1.5×0.02 = 0.06  8×1.5×0.005 = 0.06 0.12 (0.08 + 0.04)
//	exec-3     on-demand  4 vCPU 8 GiB  —  00:00 → 01:00  1 h        1      4×1×0.04  = 0.16   8×1×0.01  = 0.08  0.24 (0 + 0.24)
//	                                                                                              allocated: 0.92 (D-1 0.36, D 0.56)
//
// A node is metered from the first start to the last end of its pods:
//
//	on-demand  22:00 → 02:00: 0.64 × 2 h = 1.28 a day; pods D-1 0.16, D 0.16 + 0.24 → idle 1.12 + 0.88 = 2.00
//	spot       22:30 → 01:30: 0.16 × 1.5 h = 0.24 a day; pods D-1 0.12 + 0.08, D 0.12 + 0.04 → idle 0.04 + 0.08 = 0.12
//	                                                                                          idle: 2.12; total: 3.04
//
// The run is tagged team=data after its pods ended, so the rollups move to
// the new tag in the tag change's transaction.
func TestCostOfARunOnLabelledNodes(t *testing.T) {
	ns := namespace(t)
	s := startPricedServer(t)
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	setStatus(t, jobRunnerPod(t, ns, id), corev1.PodRunning) // not bound to a node: not metered

	spot := labelledNode(t, "cost-spot-"+ns, "m5.xlarge", "spot", "us-east-1a", "4", "16Gi")
	onDemand := labelledNode(t, "cost-od-"+ns, "m5.2xlarge", "on-demand", "us-east-1b", "8", "32Gi")
	now := time.Now().UTC()
	d := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, time.UTC).AddDate(0, 0, -1)
	at := func(h, m int) time.Time { return d.Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute) }
	pods := []struct {
		name, role, node, cpu, mem string
		start, end                 time.Time
	}{
		{k8sruntime.DriverPodName(&emr.JobRun{ID: id, RetryPolicyExecution: &emr.RetryPolicyExecution{CurrentAttemptCount: 1}}), k8sruntime.ComponentDriver, onDemand, "1", "4Gi", at(-2, 0), at(2, 0)},
		{"exec-1-" + id, k8sruntime.ComponentExecutor, spot, "2", "8Gi", at(-2, 30), at(1, 30)},
		{"exec-2-" + id, k8sruntime.ComponentExecutor, spot, "2", "8Gi", at(-1, 0), at(0, 30)},
		{"exec-3-" + id, k8sruntime.ComponentExecutor, onDemand, "4", "8Gi", at(0, 0), at(1, 0)},
	}
	for _, p := range pods {
		pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: p.name, Namespace: ns, Labels: map[string]string{
			k8sruntime.LabelJobID: id, k8sruntime.LabelVirtualCluster: vc, k8sruntime.LabelAttempt: "1",
			k8sruntime.LabelComponent: p.role, "spark-role": p.role, k8sruntime.LabelResourceType: "job.run"}},
			Spec: corev1.PodSpec{NodeName: p.node, RestartPolicy: corev1.RestartPolicyNever,
				Containers: []corev1.Container{{Name: "spark", Image: "apache/spark:3.5.7-java17-python3",
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{
						corev1.ResourceCPU: resource.MustParse(p.cpu), corev1.ResourceMemory: resource.MustParse(p.mem)}}}}}}
		created, err := kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
		if err != nil {
			t.Fatalf("create pod %s: %v", p.name, err)
		}
		// As the kubelet reports it: scheduled at start, its container ended at end.
		eventually(t, "pod "+p.name+" ended", func() error {
			cur, err := kube.CoreV1().Pods(ns).Get(context.Background(), created.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			cur.Status.Phase = corev1.PodSucceeded
			cur.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(p.start)}}
			cur.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "spark",
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: "Completed", FinishedAt: metav1.NewTime(p.end)}}}}
			_, err = kube.CoreV1().Pods(ns).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
			return err
		})
	}
	run := waitState(t, s.Client, vc, id, types.JobRunStateCompleted)

	window := d.AddDate(0, 0, -1).Format(time.DateOnly) + "," + d.AddDate(0, 0, 1).Format(time.DateOnly)
	day0, day1 := d.AddDate(0, 0, -1).Format(time.DateOnly), d.Format(time.DateOnly)
	byDay := []costRow{
		{"on-demand " + day0, "allocation", 1, 0.16}, {"on-demand " + day1, "allocation", 2, 0.40},
		{"spot " + day0, "allocation", 2, 0.20}, {"spot " + day1, "allocation", 2, 0.16},
		{"on-demand " + day0, "idle", 1, 1.12}, {"on-demand " + day1, "idle", 1, 0.88},
		{"spot " + day0, "idle", 1, 0.04}, {"spot " + day1, "idle", 1, 0.08},
	}
	byTeam := []costRow{{"data", "allocation", 4, 0.92}, {"__idle__", "idle", 2, 2.12}}

	// The endpoint, once every pod is metered (the meter writes off the informers' goroutines).
	var rep export.JSONReport
	eventually(t, "every pod metered", func() error {
		rep = export.JSONReport{}
		getCostJSON(t, s.URL+"/sparkplane/v1/cost?groupBy=capacityType,day&window="+window, &rep)
		if rep.Allocated.Records != 7 || rep.Idle.Records != 4 {
			return fmt.Errorf("%d records, %d node-days", rep.Allocated.Records, rep.Idle.Records)
		}
		return nil
	})
	checkCostRows(t, "endpoint by capacity type and day", rep, []string{"capacityType", "day"}, byDay, 0.92, 2.12)
	// Tagged only now that every record is written (and rolled up), so the
	// tag has to move the run's rollups to be reported under "data".
	if _, err := s.Client.TagResource(context.Background(), &emrcontainers.TagResourceInput{
		ResourceArn: run.Arn, Tags: map[string]string{"team": "data"}}); err != nil {
		t.Fatalf("TagResource: %v", err)
	}
	rep = export.JSONReport{}
	getCostJSON(t, s.URL+"/sparkplane/v1/cost?groupBy=tag:team&window="+window, &rep)
	checkCostRows(t, "endpoint by team", rep, []string{"tag:team"}, byTeam, 0.92, 2.12)

	// The CLI: JSON, and the table a person reads.
	var stdout, stderr bytes.Buffer
	env := &cli.Env{Stdout: &stdout, Stderr: &stderr, Getenv: func(string) string { return "" }}
	if code := cli.Run(context.Background(), env, []string{"cost", "--endpoint-url", s.URL, "--window", window,
		"--group-by", "capacityType,day", "--format", "json"}); code != 0 {
		t.Fatalf("sparkplane cost --format json exited %d: %s", code, stderr.String())
	}
	rep = export.JSONReport{}
	if err := json.Unmarshal(stdout.Bytes(), &rep); err != nil {
		t.Fatalf("sparkplane cost --format json: %v\n%s", err, stdout.String())
	}
	checkCostRows(t, "sparkplane cost by capacity type and day", rep, []string{"capacityType", "day"}, byDay, 0.92, 2.12)
	stdout.Reset()
	if code := cli.Run(context.Background(), env, []string{"cost", "--endpoint-url", s.URL, "--window", window, "--group-by", "tag:team"}); code != 0 {
		t.Fatalf("sparkplane cost exited %d: %s", code, stderr.String())
	}
	for _, figure := range []string{"data", "0.9200", "__idle__", "2.1200", "3.0400"} {
		if !strings.Contains(stdout.String(), figure) {
			t.Errorf("sparkplane cost table lacks %s:\n%s", figure, stdout.String())
		}
	}
}

// costRow is a row of a report as the hand computation has it: its group
// values joined by spaces, its kind, records and cost.
type costRow struct {
	group   string
	kind    string
	records int64
	cost    float64
}

// checkCostRows compares a report's rows (group values in the order of
// dims) and sums with the hand computation, to the cent.
func checkCostRows(t *testing.T, what string, rep export.JSONReport, dims []string, want []costRow, allocated, idle float64) {
	t.Helper()
	cents := func(v float64) int64 { return int64(math.Round(v * 100)) }
	got := map[string]export.JSONRow{}
	for _, r := range rep.Rows {
		var key []string
		for _, d := range dims {
			key = append(key, r.Group[d])
		}
		got[strings.Join(key, " ")+"/"+r.Kind] = r
	}
	if len(rep.Rows) != len(want) {
		t.Errorf("%s: %d rows, want %d: %+v", what, len(rep.Rows), len(want), rep.Rows)
	}
	for _, w := range want {
		r, ok := got[w.group+"/"+w.kind]
		if !ok {
			t.Errorf("%s: no %s row %q", what, w.kind, w.group)
			continue
		}
		if r.Records != w.records || cents(r.TotalCost) != cents(w.cost) || math.Abs(r.TotalCost-w.cost) > 1e-9 {
			t.Errorf("%s: %s row %q = %d records, $%v; want %d, $%.2f", what, w.kind, w.group, r.Records, r.TotalCost, w.records, w.cost)
		}
	}
	if cents(rep.Allocated.TotalCost) != cents(allocated) || cents(rep.Idle.TotalCost) != cents(idle) || cents(rep.Total.TotalCost) != cents(allocated+idle) {
		t.Errorf("%s: allocated $%v, idle $%v, total $%v; want $%.2f, $%.2f, $%.2f", what,
			rep.Allocated.TotalCost, rep.Idle.TotalCost, rep.Total.TotalCost, allocated, idle, allocated+idle)
	}
}

// labelledNode creates a node with the instance type, capacity type and
// zone labels that EKS and Karpenter set, and its allocatable resources.
func labelledNode(t *testing.T, name, instanceType, capacity, zone, cpu, mem string) string {
	t.Helper()
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{
		"node.kubernetes.io/instance-type": instanceType, "karpenter.sh/capacity-type": capacity, "topology.kubernetes.io/zone": zone}}}
	if _, err := kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	// The controller-manager's node controllers write the node too: retry on conflicts.
	eventually(t, "node allocatable", func() error {
		cur, err := kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem)}
		_, err = kube.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	return name
}

// getCostJSON reads a JSON cost report from the endpoint.
func getCostJSON(t *testing.T, url string, rep *export.JSONReport) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(rep); err != nil {
		t.Fatal(err)
	}
}

// startPricedServer runs a server on the shared control plane, as
// startServer does, pricing with costPricing.
func startPricedServer(t *testing.T) *server {
	t.Helper()
	dir := t.TempDir()
	pricing := filepath.Join(dir, "pricing.yaml")
	if err := os.WriteFile(pricing, []byte(costPricing), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := config.Default()
	cfg.Addr, cfg.DataDir, cfg.Pricing = "127.0.0.1:0", dir, pricing
	cfg.Clusters = []config.KubernetesCluster{{ID: clusterID, Kubeconfig: env.KubeconfigPath, Admission: config.AdmissionQuota}} // as startServer
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	return &server{URL: a.URL(), DataDir: dir, Client: emrcontainers.New(emrcontainers.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(a.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})}
}
