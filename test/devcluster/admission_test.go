package devcluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// admissionRuns is how many runs TestAdmission starts at once: on the
// 2-core embedded node, without admission, two job runners (800m each,
// held for the run's life) and a driver filled the node and the rest
// stayed Pending for ever.
const admissionRuns = 20

// admissionParams are pi.py with 250m requests, one executor and small memory.
const admissionParams = "--conf spark.kubernetes.driver.request.cores=250m --conf spark.kubernetes.executor.request.cores=250m " +
	"--conf spark.executor.instances=1 --conf spark.driver.memory=512m --conf spark.executor.memory=512m"

// TestAdmission: admissionRuns runs of pi.py started at once with 250m
// requests all reach COMPLETED, in each submission mode; while some wait
// for room, DescribeJobRun says so in their stateDetails, and in native
// mode their driver pods are there already, held by the staging gate.
func TestAdmission(t *testing.T) {
	for _, mode := range submissionModes {
		t.Run(mode, func(t *testing.T) { testAdmission(t, "admission-"+mode, mode) })
	}
}

func testAdmission(t *testing.T, ns, mode string) {
	overrides := modeOverrides(mode)
	vc := devVC(t, ns)
	start := time.Now()
	ids := make([]string, admissionRuns)
	var wg sync.WaitGroup
	errs := make(chan error, admissionRuns)
	for i := range ids {
		wg.Go(func() {
			out, err := sdk().StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{VirtualClusterId: &vc,
				Name: aws.String(fmt.Sprintf("pi-%02d", i)), ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
				ReleaseLabel: aws.String("emr-7.2.0-latest"), ConfigurationOverrides: overrides,
				JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
					EntryPoint: aws.String(piEntryPoint), EntryPointArguments: []string{"2"}, SparkSubmitParameters: aws.String(admissionParams)}}})
			if err != nil {
				errs <- err
				return
			}
			ids[i] = *out.Id
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("StartJobRun: %v", err)
	}

	// Every second: each run's state, through DescribeJobRun as a client
	// sees it, and the most drivers and job runners the node held at once.
	var waiting string             // a stateDetails of a run waiting for room
	var nodeSeen, nodeLog []string // the node's readiness and taints: now, and each change
	maxDrivers, maxGated, pendingSince := 0, 0, map[string]time.Time{}
	done := map[string]*types.JobRun{}
	deadline := start.Add(40 * time.Minute)
	for len(done) < len(ids) {
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d runs ended after %v; the others are stuck (a deadlock?)", len(done), len(ids), time.Since(start))
		}
		for _, id := range ids {
			if done[id] != nil {
				continue
			}
			out, err := sdk().DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vc, Id: &id})
			if err != nil {
				t.Fatal(err)
			}
			run := out.JobRun
			switch details := aws.ToString(run.StateDetails); {
			case terminal(run.State):
				done[id] = run
			case run.State == types.JobRunStatePending && strings.HasPrefix(details, "Waiting for capacity:"):
				waiting = details
			}
		}
		pods, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: "spark-role=driver"})
		if err != nil {
			t.Fatal(err)
		}
		drivers, gated := 0, 0
		for _, p := range pods.Items {
			if len(p.Spec.SchedulingGates) > 0 {
				gated++
				continue
			}
			if p.Status.Phase == corev1.PodPending && p.Spec.NodeName == "" {
				if _, ok := pendingSince[p.Name]; !ok {
					pendingSince[p.Name] = time.Now()
				}
			}
			if p.Status.Phase == corev1.PodRunning {
				drivers++
			}
		}
		maxDrivers, maxGated = max(maxDrivers, drivers), max(maxGated, gated)
		nodeSeen = nodeChanges(t, nodeSeen, &nodeLog)
		time.Sleep(time.Second)
	}
	makespan := time.Since(start)
	for i, id := range ids {
		if run := done[id]; run.State != types.JobRunStateCompleted {
			t.Errorf("run %d (%s) ended %s: %s\njob runner:\n%s\ndriver:\n%s", i, id, run.State, aws.ToString(run.StateDetails),
				runLog(t, vc, id, "job-runner"), runLog(t, vc, id, "driver"))
		}
	}
	if waiting == "" {
		t.Errorf("no run was seen PENDING with stateDetails saying it waits for capacity")
	} else if !strings.Contains(waiting, "driver 250m/") || !strings.Contains(waiting, "1 executor 250m/") || !strings.Contains(waiting, "free on nodes") {
		t.Errorf("a waiting run says %q; want the driver's and executor's requests and the nodes' free room", waiting)
	}
	if mode == modeNative && maxGated == 0 {
		t.Errorf("no staged (gated) driver pod was seen while runs waited")
	}
	if mode == modeJobRunner && maxGated > 0 {
		t.Errorf("%d gated driver pods seen in job-runner mode; its job runners create the drivers", maxGated)
	}
	if t.Failed() || len(nodeLog) > 1 {
		t.Logf("the node's readiness and taints:\n%s", strings.Join(nodeLog, "\n"))
	}
	if len(pendingSince) > 0 {
		t.Logf("drivers seen Pending without a node: %v", pendingSince)
	}
	t.Logf("%d runs with 250m requests: all ended after %v (at most %d drivers running and %d staged at once); a waiting run said %q",
		len(ids), makespan.Round(time.Second), maxDrivers, maxGated, waiting)
}

// nodeChanges reads the nodes' Ready condition and taints and, when they
// differ from last, appends them to log with the time and the heartbeat.
func nodeChanges(t *testing.T, last []string, log *[]string) []string {
	nodes, err := kube.CoreV1().Nodes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var now, heartbeats []string
	for _, n := range nodes.Items {
		ready, heartbeat := "no Ready condition", ""
		for _, c := range n.Status.Conditions {
			if c.Type == corev1.NodeReady {
				ready, heartbeat = fmt.Sprintf("Ready=%s (%s)", c.Status, c.Reason), c.LastHeartbeatTime.Format(time.TimeOnly)
			}
		}
		var taints []string
		for _, tt := range n.Spec.Taints {
			taints = append(taints, tt.ToString())
		}
		now = append(now, fmt.Sprintf("%s: %s, unschedulable=%v, taints %v", n.Name, ready, n.Spec.Unschedulable, taints))
		heartbeats = append(heartbeats, heartbeat)
	}
	if !slices.Equal(now, last) {
		*log = append(*log, fmt.Sprintf("%s %s (heartbeats %v)", time.Now().Format(time.TimeOnly), strings.Join(now, "; "), heartbeats))
	}
	return now
}
