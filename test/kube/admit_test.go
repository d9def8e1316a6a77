package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// TestAdmitWithTheShippedRBACOnly: as an identity bound only to deploy/rbac's
// roles, the runtime reads the nodes, the pods bound to them and the
// namespace's quotas: on a 2-core node a run of 250m pods is admitted, the
// next waits (the first holds its room until its pods are placed) and is
// admitted once the first is stopped; a quota that leaves too little keeps
// a run waiting, saying so.
func TestAdmitWithTheShippedRBACOnly(t *testing.T) {
	ns := namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt := shippedRBACRuntime(t, ns, "admit", "2", k8sruntime.Options{})
	small := func() (*emr.VirtualCluster, *emr.JobRun) {
		vc, run := newRun(ns)
		run.JobDriver.SparkSubmitJobDriver.SparkSubmitParameters = "--conf spark.kubernetes.driver.request.cores=250m --conf spark.kubernetes.executor.request.cores=250m " +
			"--conf spark.executor.instances=1 --conf spark.driver.memory=512m --conf spark.executor.memory=512m --conf spark.kubernetes.node.selector.admit=" + ns
		run.ConfigurationOverrides = &emr.ConfigurationOverrides{ApplicationConfiguration: []emr.Configuration{
			{Classification: "emr-job-submitter", Properties: map[string]string{"jobsubmitter.node.selector.admit": ns}}}}
		return vc, run
	}
	vcA, a := small()
	time.Sleep(time.Millisecond) // another run id
	vcB, b := small()
	if got, err := rt.Admit(ctx, vcA, a); err != nil || !got.OK {
		t.Fatalf("Admit(first run) = %+v, %v; want admitted on the empty node", got, err)
	}
	got, err := rt.Admit(ctx, vcB, b)
	if err != nil || got.OK {
		t.Fatalf("Admit(second run) = %+v, %v; want it waiting: the first holds 1300m of 2000m", got, err)
	}
	for _, want := range []string{"Waiting for capacity: needs job runner 800m/512Mi + driver 250m/896Mi + 1 executor 250m/896Mi", "free on nodes 700m/", "1 admitted run(s)"} {
		if !strings.Contains(got.Waiting, want) {
			t.Errorf("second run waits with %q; want it to say %q", got.Waiting, want)
		}
	}
	if _, err := rt.Stop(ctx, vcA, a); err != nil {
		t.Fatal(err)
	}
	if got, err := rt.Admit(ctx, vcB, b); err != nil || !got.OK {
		t.Fatalf("Admit(second run) after the first stopped = %+v, %v; want admitted", got, err)
	}

	quota := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: "team"}, Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
		corev1.ResourceRequestsCPU: resource.MustParse("2"), corev1.ResourceRequestsMemory: resource.MustParse("64Gi")}}}
	if _, err := kube.CoreV1().ResourceQuotas(ns).Create(ctx, quota, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	// The quota controller fills in the quota's status first; a pod made
	// before that is refused, and one made while it counts may be missed.
	eventually(t, "the quota's status", func() error {
		q, err := kube.CoreV1().ResourceQuotas(ns).Get(ctx, "team", metav1.GetOptions{})
		if err == nil && len(q.Status.Hard) == 0 {
			err = fmt.Errorf("quota team has no status yet")
		}
		return err
	})
	// A pod that fits no node (it takes no node's room) but uses 1 CPU of the quota.
	hog := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "hog"}, Spec: corev1.PodSpec{NodeSelector: map[string]string{"nowhere": "true"},
		Containers: []corev1.Container{{Name: "c", Image: "busybox", Resources: corev1.ResourceRequirements{
			Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1"), corev1.ResourceMemory: resource.MustParse("1Gi")}}}}}}
	eventually(t, "a pod under the quota", func() error {
		_, err := kube.CoreV1().Pods(ns).Create(ctx, hog, metav1.CreateOptions{})
		return err
	})
	// The quota admission plugin charges a pod when it is created, if its
	// cache knows the quota by then; the quota controller recounts only at
	// its resync or when a pod goes. A hog that was not charged is made
	// again until the quota counts it.
	eventually(t, "the quota counting the pod", func() error {
		q, err := kube.CoreV1().ResourceQuotas(ns).Get(ctx, "team", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if used := q.Status.Used[corev1.ResourceRequestsCPU]; used.Cmp(resource.MustParse("1")) >= 0 {
			return nil
		}
		time.Sleep(time.Second) // the charge may still be on its way
		if q, err = kube.CoreV1().ResourceQuotas(ns).Get(ctx, "team", metav1.GetOptions{}); err == nil {
			if used := q.Status.Used[corev1.ResourceRequestsCPU]; used.Cmp(resource.MustParse("1")) >= 0 {
				return nil
			}
		}
		_ = kube.CoreV1().Pods(ns).Delete(ctx, hog.Name, metav1.DeleteOptions{GracePeriodSeconds: new(int64)})
		_, err = kube.CoreV1().Pods(ns).Create(ctx, hog, metav1.CreateOptions{})
		return fmt.Errorf("quota team uses %v of requests.cpu; the pod was made again (%v)", q.Status.Used, err)
	})
	if _, err := rt.Stop(ctx, vcB, b); err != nil {
		t.Fatal(err)
	}
	// Quotas alone (admission: quota), so that the node, which no kubelet
	// keeps Ready, plays no part.
	byQuota := k8sruntime.New(k8sruntime.Options{ClusterID: clusterID, Client: as(t, sparkplaneUser, ""), Admission: k8sruntime.AdmitQuota})
	t.Cleanup(byQuota.Close)
	vcC, c := small()
	eventually(t, "a run waiting for the quota", func() error {
		got, err := byQuota.Admit(ctx, vcC, c)
		switch {
		case err != nil:
			return err
		case got.OK || !strings.Contains(got.Waiting, "Waiting for quota") || !strings.Contains(got.Waiting, "ResourceQuota team has requests.cpu 1,"):
			q, _ := kube.CoreV1().ResourceQuotas(ns).Get(ctx, "team", metav1.GetOptions{})
			return fmt.Errorf("Admit(third run) = %+v; want it waiting for quota team, 1 CPU left (quota status %+v)", got, q.Status)
		}
		return nil
	})
}

// sparkplaneUser is the identity deploy/rbac's roles are bound to.
const sparkplaneUser = "system:serviceaccount:sparkplane:sparkplane"

// shippedRBACRuntime applies deploy/rbac's roles for sparkplaneUser (in ns,
// and cluster-wide for nodes and pods), registers a Ready node of cpu
// labelled label=ns, and returns a runtime acting as that user with opts.
func shippedRBACRuntime(t *testing.T, ns, label, cpu string, opts k8sruntime.Options) *k8sruntime.Runtime {
	t.Helper()
	waitAllowed(t, ns, sparkplaneUser, applyManifest(t, ns, "../../deploy/rbac/namespace-role.yaml"))
	applyClusterRole(t, "../../deploy/rbac/cluster-role-nodes.yaml")
	waitAllowed(t, "", sparkplaneUser, rbacv1.Role{Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"nodes", "pods"}, Verbs: []string{"list", "watch"}}}})
	readyNode(t, label+"-"+ns, map[string]string{label: ns}, cpu, "16Gi")
	opts.ClusterID, opts.Client = clusterID, as(t, sparkplaneUser, "")
	rt := k8sruntime.New(opts)
	t.Cleanup(rt.Close)
	return rt
}

// readyNode registers a Ready node with labels and allocatable CPU and
// memory, removed when the test ends.
func readyNode(t *testing.T, name string, labels map[string]string, cpu, mem string) {
	t.Helper()
	ctx := context.Background()
	if _, err := kube.CoreV1().Nodes().Create(ctx, &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: labels}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Nodes().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	eventually(t, "node Ready", func() error { // the controller-manager writes the node too: retry on conflicts
		cur, err := kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Allocatable = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(cpu), corev1.ResourceMemory: resource.MustParse(mem), corev1.ResourcePods: resource.MustParse("110")}
		cur.Status.Capacity = cur.Status.Allocatable
		cur.Status.Conditions = []corev1.NodeCondition{{Type: corev1.NodeReady, Status: corev1.ConditionTrue, LastHeartbeatTime: metav1.Now(), LastTransitionTime: metav1.Now()}}
		_, err = kube.CoreV1().Nodes().UpdateStatus(ctx, cur, metav1.UpdateOptions{})
		return err
	})
	// The node lifecycle controller taints a new node not-ready until it
	// sees it Ready; admission, like kube-scheduler, places nothing there
	// until the taint is gone.
	eventually(t, "node untainted", func() error {
		cur, err := kube.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(cur.Spec.Taints) > 0 {
			return fmt.Errorf("node %s still has taints %v", name, cur.Spec.Taints)
		}
		return nil
	})
}
