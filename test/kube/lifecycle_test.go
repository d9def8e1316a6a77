package kube

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDriverPhasesDriveTheRun(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "")
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	setStatus(t, jobRunnerPod(t, ns, id), corev1.PodRunning)

	driver := createDriver(t, ns, vc, id)
	setStatus(t, driver, corev1.PodRunning)
	waitState(t, s.Client, vc, id, types.JobRunStateRunning)

	// The Job now owns the driver, so deleting the Job removes it (and its executors).
	job, _ := kube.BatchV1().Jobs(ns).Get(context.Background(), id, metav1.GetOptions{})
	eventually(t, "driver owned by the Job", func() error {
		d, err := kube.CoreV1().Pods(ns).Get(context.Background(), driver.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		if len(d.OwnerReferences) != 1 || d.OwnerReferences[0].UID != job.UID {
			return fmt.Errorf("owners %+v", d.OwnerReferences)
		}
		return nil
	})

	setStatus(t, driver, corev1.PodSucceeded, terminated("spark-kubernetes-driver", 0, "Completed"))
	run := waitState(t, s.Client, vc, id, types.JobRunStateCompleted)
	if run.FinishedAt == nil || run.FailureReason != "" {
		t.Errorf("completed run: finishedAt %v reason %q", run.FinishedAt, run.FailureReason)
	}
}

func TestFailuresSayWhy(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "")
	vc := createVC(t, s.Client, ns)
	cases := []struct {
		name    string
		act     func(t *testing.T, id string)
		details string
	}{
		{"driver OOMKilled", func(t *testing.T, id string) {
			d := createDriver(t, ns, vc, id)
			setStatus(t, d, corev1.PodRunning)
			setStatus(t, d, corev1.PodFailed, terminated("spark-kubernetes-driver", 137, "OOMKilled"))
		}, "OOMKilled"},
		{"driver exits non-zero", func(t *testing.T, id string) {
			d := createDriver(t, ns, vc, id)
			setStatus(t, d, corev1.PodFailed, terminated("spark-kubernetes-driver", 1, "Error"))
		}, "exited with code 1"},
		{"driver evicted", func(t *testing.T, id string) {
			d := createDriver(t, ns, vc, id)
			eventually(t, "evict", func() error {
				cur, err := kube.CoreV1().Pods(ns).Get(context.Background(), d.Name, metav1.GetOptions{})
				if err != nil {
					return err
				}
				cur.Status.Phase, cur.Status.Reason, cur.Status.Message = corev1.PodFailed, "Evicted", "The node was low on resource: memory."
				_, err = kube.CoreV1().Pods(ns).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
				return err
			})
		}, "evicted"},
		{"job runner image cannot be pulled", func(t *testing.T, id string) {
			setStatus(t, jobRunnerPod(t, ns, id), corev1.PodPending,
				waitingFor("job-runner", "apache/spark:3.5.7-java17-python3", "ImagePullBackOff", "Back-off pulling image"))
		}, "cannot be pulled"},
		{"spark-submit fails", func(t *testing.T, id string) {
			setStatus(t, jobRunnerPod(t, ns, id), corev1.PodFailed, terminated("job-runner", 1, "Error"))
		}, "spark-submit failed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			id := startPi(t, s.Client, vc, nil)
			waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
			tc.act(t, id)
			run := waitState(t, s.Client, vc, id, types.JobRunStateFailed)
			if run.FailureReason != types.FailureReasonUserError || !strings.Contains(aws.ToString(run.StateDetails), tc.details) {
				t.Errorf("reason %s details %q, want USER_ERROR mentioning %q", run.FailureReason, aws.ToString(run.StateDetails), tc.details)
			}
		})
	}
}

func TestJobStartTimeoutRemovesObjects(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "")
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{
		{Classification: aws.String("emr-containers-defaults"), Properties: map[string]string{"job-start-timeout": "2"}}}})
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	runner := jobRunnerPod(t, ns, id)
	// The job runner cannot be scheduled: the failure says so.
	eventually(t, "mark unschedulable", func() error {
		cur, err := kube.CoreV1().Pods(ns).Get(context.Background(), runner.Name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse,
			Reason: "Unschedulable", Message: "0/3 nodes are available: 3 Insufficient cpu."}}
		_, err = kube.CoreV1().Pods(ns).UpdateStatus(context.Background(), cur, metav1.UpdateOptions{})
		return err
	})
	run := waitState(t, s.Client, vc, id, types.JobRunStateFailed)
	if d := aws.ToString(run.StateDetails); !strings.Contains(d, "job-start-timeout") || !strings.Contains(d, "Insufficient cpu") {
		t.Errorf("details %q", d)
	}
	eventually(t, "Job removed", func() error {
		_, err := kube.BatchV1().Jobs(ns).Get(context.Background(), id, metav1.GetOptions{})
		if !apierrors.IsNotFound(err) {
			return fmt.Errorf("job still there (%v)", err)
		}
		return nil
	})
}

func TestCancelDeletesEverything(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "")
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	setStatus(t, jobRunnerPod(t, ns, id), corev1.PodRunning)
	driver := createDriver(t, ns, vc, id)
	setStatus(t, driver, corev1.PodRunning)
	waitState(t, s.Client, vc, id, types.JobRunStateRunning)

	if _, err := s.Client.CancelJobRun(context.Background(), &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	// The driver runs on a node: it is gone only once its kubelet confirms.
	waitState(t, s.Client, vc, id, types.JobRunStateCancelPending)
	eventually(t, "driver deletion requested", func() error {
		if finishDeletions(t, ns) == 0 {
			return errors.New("no pod is being deleted yet")
		}
		return nil
	})
	waitState(t, s.Client, vc, id, types.JobRunStateCancelled)
	ctx := context.Background()
	sel := metav1.ListOptions{LabelSelector: "emr-containers.amazonaws.com/job.id=" + id}
	pods, _ := kube.CoreV1().Pods(ns).List(ctx, sel)
	cms, _ := kube.CoreV1().ConfigMaps(ns).List(ctx, sel)
	if _, err := kube.BatchV1().Jobs(ns).Get(ctx, id, metav1.GetOptions{}); !apierrors.IsNotFound(err) || len(pods.Items)+len(cms.Items) > 0 {
		t.Errorf("after CANCELLED: job err %v, %d pods, %d config maps", err, len(pods.Items), len(cms.Items))
	}
}
