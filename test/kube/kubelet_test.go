package kube

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// The helpers below do what a kubelet and spark-submit would do in a real
// cluster, so that runs can be walked through every phase.

// jobRunnerPod waits for the Job controller to create the job runner pod.
func jobRunnerPod(t *testing.T, ns, id string) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	eventually(t, "job runner pod", func() error {
		pods, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{
			LabelSelector: k8sruntime.LabelJobID + "=" + id + "," + k8sruntime.LabelComponent + "=" + k8sruntime.ComponentSubmitter})
		if err != nil {
			return err
		}
		if len(pods.Items) != 1 {
			return fmt.Errorf("%d job runner pods", len(pods.Items))
		}
		pod = &pods.Items[0]
		return nil
	})
	return pod
}

// createDriver creates the driver pod as spark-submit would, from the
// labels the run's pod template carries, bound to a node.
func createDriver(t *testing.T, ns, vc, id string) *corev1.Pod {
	t.Helper()
	return createDriverAttempt(t, ns, vc, id, 1)
}

// createDriverAttempt creates the driver pod of one attempt of a run.
func createDriverAttempt(t *testing.T, ns, vc, id string, attempt int) *corev1.Pod {
	t.Helper()
	run := &emr.JobRun{ID: id, RetryPolicyExecution: &emr.RetryPolicyExecution{CurrentAttemptCount: attempt}}
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: k8sruntime.DriverPodName(run), Namespace: ns, Labels: map[string]string{
			k8sruntime.LabelAttempt: fmt.Sprint(attempt),
			"spark-role":            "driver", "spark-app-selector": "spark-0123",
			k8sruntime.LabelJobID: id, k8sruntime.LabelVirtualCluster: vc,
			k8sruntime.LabelResourceType: "job.run", k8sruntime.LabelComponent: k8sruntime.ComponentDriver,
		}},
		Spec: corev1.PodSpec{NodeName: "node-1", RestartPolicy: corev1.RestartPolicyNever,
			ServiceAccountName: "emr-containers-sa-spark-driver-123456789012-" + emr.Base36("EMRJobRole"),
			Containers:         []corev1.Container{{Name: "spark-kubernetes-driver", Image: "apache/spark:3.5.7-java17-python3"}}},
	}
	out, err := kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create driver: %v", err)
	}
	return out
}

// setStatus writes a pod's status as a kubelet would.
func setStatus(t *testing.T, pod *corev1.Pod, phase corev1.PodPhase, cs ...corev1.ContainerStatus) {
	t.Helper()
	eventually(t, "update pod status", func() error {
		cur, err := kube.CoreV1().Pods(pod.Namespace).Get(context.Background(), pod.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Phase = phase
		cur.Status.ContainerStatuses = cs
		_, err = kube.CoreV1().Pods(pod.Namespace).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
		return err
	})
}

func terminated(name string, code int32, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code, Reason: reason}}}
}

func waitingFor(name, image, reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Image: image, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
}

// finishDeletions removes the pods of ns that are being deleted, as the
// kubelet does once their containers stopped. It returns how many it removed.
func finishDeletions(t *testing.T, ns string) int {
	t.Helper()
	pods, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	zero := int64(0)
	for _, p := range pods.Items {
		if p.DeletionTimestamp == nil {
			continue
		}
		err := kube.CoreV1().Pods(ns).Delete(context.Background(), p.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero})
		if err != nil && !apierrors.IsNotFound(err) {
			t.Fatal(err)
		}
		n++
	}
	return n
}
