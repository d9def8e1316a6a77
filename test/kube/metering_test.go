package kube

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// recorder keeps what the runtime meters, latest record per pod.
type recorder struct {
	mu    sync.Mutex
	usage map[string]cost.Usage
	nodes map[string]cost.Node
}

func (r *recorder) RecordUsage(_ context.Context, u cost.Usage) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.usage[u.Pod] = u
	return nil
}

func (r *recorder) RecordNode(_ context.Context, n cost.Node) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.nodes[n.Name] = n
	return nil
}

func (r *recorder) get(pod string) (cost.Usage, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	u, ok := r.usage[pod]
	return u, ok
}

// TestPodsAreMeteredFromTheAPIServer: a driver scheduled on a labelled spot
// node is metered with the node's instance type, capacity type and zone,
// its requests, and its start and end as the API server shows them.
func TestPodsAreMeteredFromTheAPIServer(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	node := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "spot-node-" + ns, Labels: map[string]string{
		"node.kubernetes.io/instance-type": "m5.xlarge", "karpenter.sh/capacity-type": "spot", "topology.kubernetes.io/zone": "us-east-1a"}}}
	node.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("16Gi")}
	if _, err := kube.CoreV1().Nodes().Create(ctx, node, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Nodes().Delete(context.Background(), node.Name, metav1.DeleteOptions{}) })
	// The controller-manager's node controllers write the node too: retry on conflicts.
	eventually(t, "node allocatable", func() error {
		cur, err := kube.CoreV1().Nodes().Get(ctx, node.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Allocatable = node.Status.Allocatable
		_, err = kube.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})

	rec := &recorder{usage: map[string]cost.Usage{}, nodes: map[string]cost.Node{}}
	rt := k8sruntime.New(k8sruntime.Options{ClusterID: clusterID, Client: kube, Usage: rec})
	t.Cleanup(rt.Close)
	vc := &emr.VirtualCluster{ID: "vc" + fmt.Sprint(time.Now().UnixNano()%100000), ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: clusterID,
		Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: ns}}}}
	var ids emr.JobRunIDs
	run := &emr.JobRun{ID: ids.Next(time.Now()), VirtualClusterID: vc.ID, ExecutionRoleARN: role, ReleaseLabel: "emr-7.2.0-latest",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "local:///usr/lib/spark/examples/src/main/python/pi.py"}}}
	if err := rt.Submit(ctx, vc, run); err != nil {
		t.Fatal(err)
	}

	// The driver as Spark would create it from the run's template, bound to the spot node.
	driver := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: k8sruntime.DriverPodName(run), Namespace: ns, Labels: map[string]string{
		k8sruntime.LabelJobID: run.ID, k8sruntime.LabelVirtualCluster: vc.ID, k8sruntime.LabelAttempt: "1",
		k8sruntime.LabelComponent: k8sruntime.ComponentDriver, k8sruntime.LabelResourceType: "job.run"}},
		Spec: corev1.PodSpec{NodeName: node.Name, RestartPolicy: corev1.RestartPolicyNever,
			ServiceAccountName: "emr-containers-sa-spark-driver-123456789012-" + emr.Base36("EMRJobRole"),
			Containers: []corev1.Container{{Name: "spark-kubernetes-driver", Image: "apache/spark:3.5.7-java17-python3",
				Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1408Mi")}}}}}}
	driver, err := kube.CoreV1().Pods(ns).Create(ctx, driver, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now().Add(-time.Minute).Truncate(time.Second)
	end := start.Add(45 * time.Second)
	eventually(t, "driver scheduled and running", func() error {
		cur, err := kube.CoreV1().Pods(ns).Get(ctx, driver.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Phase = corev1.PodRunning
		cur.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(start)}}
		_, err = kube.CoreV1().Pods(ns).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	if _, err := rt.Observe(ctx, vc, run); err != nil { // starts the namespace's watch
		t.Fatal(err)
	}
	eventually(t, "driver metered", func() error {
		u, ok := rec.get(driver.Name)
		if !ok {
			return fmt.Errorf("no usage yet")
		}
		if u.InstanceType != "m5.xlarge" || u.CapacityType != cost.Spot || u.Zone != "us-east-1a" || u.Component != cost.ComponentDriver ||
			u.Request.CPU != 1 || u.Request.Memory != 1408<<20 || !u.Start.Equal(start) || !u.End.IsZero() || u.JobRunID != run.ID {
			return fmt.Errorf("usage %+v", u)
		}
		return nil
	})
	eventually(t, "driver finished", func() error {
		cur, err := kube.CoreV1().Pods(ns).Get(ctx, driver.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Phase = corev1.PodSucceeded
		cur.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "spark-kubernetes-driver",
			State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{FinishedAt: metav1.NewTime(end)}}}}
		_, err = kube.CoreV1().Pods(ns).UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	eventually(t, "driver's end metered", func() error {
		if u, _ := rec.get(driver.Name); !u.End.Equal(end) {
			return fmt.Errorf("end %v, want %v", u.End, end)
		}
		return nil
	})
	rec.mu.Lock()
	n := rec.nodes[node.Name]
	rec.mu.Unlock()
	if n.CPU != 4 || n.Memory != 16<<30 || n.InstanceType != "m5.xlarge" {
		t.Errorf("node %+v", n)
	}
}
