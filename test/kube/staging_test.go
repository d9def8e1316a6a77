package kube

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// TestNativeRunStagedWhileItWaits: with the shipped RBAC only, a native run
// that waits for room has its driver pod (gated, so nothing schedules it),
// ConfigMaps and Service created at once, and still waits: its own gated
// pod takes no room. Admitted, its submission lifts the gate, stamping the
// time the job start timeout counts from; a staged run that is cancelled
// leaves nothing behind. Staging twice creates nothing more.
func TestNativeRunStagedWhileItWaits(t *testing.T) {
	ns := namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	rt := shippedRBACRuntime(t, ns, "stage", "1", k8sruntime.Options{SubmissionMode: emr.SubmitNative})
	newSmall := func() (*emr.VirtualCluster, *emr.JobRun) {
		time.Sleep(time.Millisecond) // another run id
		vc, run := newRun(ns)
		run.JobDriver.SparkSubmitJobDriver.SparkSubmitParameters = "--conf spark.kubernetes.driver.request.cores=250m --conf spark.kubernetes.executor.request.cores=250m " +
			"--conf spark.executor.instances=1 --conf spark.driver.memory=512m --conf spark.executor.memory=512m --conf spark.kubernetes.node.selector.stage=" + ns
		return vc, run
	}
	// On the 1-core node, a run of two 250m pods holds half: a third run waits.
	vcA, a := newSmall()
	vcB, b := newSmall()
	vcC, c := newSmall()
	for _, r := range []struct {
		vc  *emr.VirtualCluster
		run *emr.JobRun
	}{{vcA, a}, {vcB, b}} {
		if got, err := rt.Admit(ctx, r.vc, r.run); err != nil || !got.OK {
			t.Fatalf("Admit(%s) = %+v, %v; want admitted", r.run.ID, got, err)
		}
		if err := rt.Submit(ctx, r.vc, r.run); err != nil {
			t.Fatal(err)
		}
	}
	waitingFor := func() string {
		t.Helper()
		got, err := rt.Admit(ctx, vcC, c)
		if err != nil || got.OK {
			t.Fatalf("Admit(third run) = %+v, %v; want it waiting", got, err)
		}
		return got.Waiting
	}
	before := waitingFor()
	for range 2 {
		if err := rt.Stage(ctx, vcC, c); err != nil {
			t.Fatal(err)
		}
	}
	driver := k8sruntime.DriverPodName(c)
	var pod *corev1.Pod
	eventually(t, "the staged driver pod, gated and SchedulingGated", func() error {
		var err error
		if pod, err = kube.CoreV1().Pods(ns).Get(ctx, driver, metav1.GetOptions{}); err != nil {
			return err
		}
		if !slices.Contains(pod.Spec.SchedulingGates, corev1.PodSchedulingGate{Name: k8sruntime.StagedGate}) || pod.Spec.NodeName != "" {
			t.Fatalf("staged pod: gates %v, node %q; want gated and unbound", pod.Spec.SchedulingGates, pod.Spec.NodeName)
		}
		return podCondition(pod, corev1.PodScheduled, corev1.PodReasonSchedulingGated)
	})
	assertOwnedObjects(t, ns, pod, 2, 1)
	if after := waitingFor(); after != before {
		t.Errorf("staging changed what the run waits for: %q, then %q; its gated pod must take no room", before, after)
	}
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: k8sruntime.LabelJobID + "=" + c.ID})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("pods of the staged run: %d, %v; want exactly its driver", len(pods.Items), err)
	}

	if _, err := rt.Stop(ctx, vcA, a); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the third run admitted once the first is stopped", func() error {
		got, err := rt.Admit(ctx, vcC, c)
		if err == nil && !got.OK {
			return fmt.Errorf("still waiting: %s", got.Waiting)
		}
		return err
	})
	lifted := time.Now()
	if err := rt.Submit(ctx, vcC, c); err != nil {
		t.Fatal(err)
	}
	// At once, as the controller does (the cache may still hold the gated pod).
	obs, err := rt.Observe(ctx, vcC, c)
	if err != nil || obs.SubmittedAt.Before(lifted.Add(-time.Second)) {
		t.Fatalf("Observe() right after Submit = submitted at %v, %v; want the lift (%v), not the staging", obs.SubmittedAt, err, lifted)
	}
	pod, err = kube.CoreV1().Pods(ns).Get(ctx, driver, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	at, err := time.Parse(time.RFC3339Nano, pod.Annotations[k8sruntime.AnnotationSubmittedAt])
	if len(pod.Spec.SchedulingGates) != 0 || err != nil || at.Before(lifted.Add(-time.Second)) {
		t.Fatalf("submitted pod: gates %v, %s %q (%v); want no gate and the submission time", pod.Spec.SchedulingGates,
			k8sruntime.AnnotationSubmittedAt, pod.Annotations[k8sruntime.AnnotationSubmittedAt], err)
	}
	eventually(t, "the observation counting from the lift", func() error {
		obs, err := rt.Observe(ctx, vcC, c)
		if err == nil && !obs.SubmittedAt.Equal(at) {
			t.Fatalf("Observe().SubmittedAt = %v; want the lift, %v (the pod was created %v)", obs.SubmittedAt, at, pod.CreationTimestamp)
		}
		return err
	})

	// A staged run cancelled: nothing of it is left.
	vcD, d := newSmall()
	if err := rt.Stage(ctx, vcD, d); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Pods(ns).Get(ctx, k8sruntime.DriverPodName(d), metav1.GetOptions{}); err != nil {
		t.Fatalf("the fourth run's staged driver: %v", err)
	}
	eventually(t, "the cancelled staged run gone", func() error {
		gone, err := rt.Stop(ctx, vcD, d)
		if err == nil && !gone {
			return fmt.Errorf("something of run %s is left", d.ID)
		}
		return err
	})
	if _, err := kube.CoreV1().Pods(ns).Get(ctx, k8sruntime.DriverPodName(d), metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Fatalf("the cancelled run's staged driver: %v; want it gone", err)
	}
}

// podCondition returns nil when pod has the condition typ with reason.
func podCondition(pod *corev1.Pod, typ corev1.PodConditionType, reason string) error {
	for _, c := range pod.Status.Conditions {
		if c.Type == typ && c.Reason == reason {
			return nil
		}
	}
	return fmt.Errorf("pod %s has no condition %s/%s: %+v", pod.Name, typ, reason, pod.Status.Conditions)
}

// assertOwnedObjects checks how many ConfigMaps and Services the driver
// pod owns.
func assertOwnedObjects(t *testing.T, ns string, pod *corev1.Pod, configMaps, services int) {
	t.Helper()
	ctx := context.Background()
	cms, err := kube.CoreV1().ConfigMaps(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	svcs, err := kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	owned := func(m metav1.ObjectMeta) bool {
		return len(m.OwnerReferences) == 1 && m.OwnerReferences[0].UID == pod.UID && *m.OwnerReferences[0].Controller
	}
	ncm, nsvc := 0, 0
	for _, cm := range cms.Items {
		if owned(cm.ObjectMeta) {
			ncm++
		}
	}
	for _, s := range svcs.Items {
		if owned(s.ObjectMeta) {
			nsvc++
		}
	}
	if ncm != configMaps || nsvc != services {
		t.Fatalf("driver pod %s owns %d ConfigMaps and %d Services; want %d and %d", pod.Name, ncm, nsvc, configMaps, services)
	}
}
