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
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// nativeCluster makes the cluster's runs native by default (clusters[].submissionMode).
func nativeCluster(k *config.KubernetesCluster) { k.SubmissionMode = "native" }

// nativeObjects checks what native submission created for run id: its
// driver pod and, owned by it, the two ConfigMaps the pod mounts and its
// headless Service; no job runner. It returns the driver pod.
func nativeObjects(t *testing.T, ns, id string) *corev1.Pod {
	t.Helper()
	ctx := context.Background()
	var pod *corev1.Pod
	eventually(t, "the native objects", func() error {
		jobs, err := kube.BatchV1().Jobs(ns).List(ctx, metav1.ListOptions{})
		if err != nil || len(jobs.Items) > 0 {
			return fmt.Errorf("job runners: %v %v", err, jobs)
		}
		pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: k8sruntime.LabelJobID + "=" + id})
		if err != nil || len(pods.Items) != 1 {
			return fmt.Errorf("%v pods: %v", pods, err)
		}
		pod = &pods.Items[0]
		if pod.Name != "spark-"+id+"-driver" || pod.Labels["spark-role"] != "driver" || pod.Labels[k8sruntime.LabelComponent] != "driver" {
			return fmt.Errorf("pod %s labels %v", pod.Name, pod.Labels)
		}
		owned := func(refs []metav1.OwnerReference) bool {
			return len(refs) == 1 && refs[0].UID == pod.UID && refs[0].Kind == "Pod" && refs[0].Controller != nil && *refs[0].Controller
		}
		for _, v := range pod.Spec.Volumes {
			if v.ConfigMap == nil || v.ConfigMap.Name == "kube-root-ca.crt" {
				continue
			}
			cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, v.ConfigMap.Name, metav1.GetOptions{})
			if err != nil {
				return err
			}
			if !owned(cm.OwnerReferences) {
				return fmt.Errorf("config map %s owners %v", cm.Name, cm.OwnerReferences)
			}
		}
		svcs, err := kube.CoreV1().Services(ns).List(ctx, metav1.ListOptions{LabelSelector: "spark-app-selector=" + pod.Labels["spark-app-selector"]})
		if err != nil || len(svcs.Items) != 1 {
			return fmt.Errorf("services %v %v", svcs, err)
		}
		if svc := svcs.Items[0]; !owned(svc.OwnerReferences) || svc.Spec.ClusterIP != corev1.ClusterIPNone {
			return fmt.Errorf("service %s owners %v clusterIP %s", svc.Name, svc.OwnerReferences, svc.Spec.ClusterIP)
		}
		return nil
	})
	return pod
}

// A cluster whose submissionMode is native: the run's driver pod, its
// ConfigMaps and Service are sparkplane's; restarts find them rather than
// creating a second driver; the run follows the driver to COMPLETED.
func TestNativeSubmissionLifecycle(t *testing.T) {
	ns := namespace(t)
	dir := t.TempDir()
	s := startServer(t, dir, "", nativeCluster)
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	driver := nativeObjects(t, ns, id)
	s.Stop()

	setStatus(t, driver, corev1.PodRunning)
	s = startServer(t, dir, "", nativeCluster)
	waitState(t, s.Client, vc, id, types.JobRunStateRunning)
	s.Stop()

	setStatus(t, driver, corev1.PodSucceeded, terminated("spark-kubernetes-driver", 0, "Completed"))
	s = startServer(t, dir, "", nativeCluster)
	waitState(t, s.Client, vc, id, types.JobRunStateCompleted)
	if again := nativeObjects(t, ns, id); again.UID != driver.UID {
		t.Errorf("the driver pod was replaced across restarts")
	}
}

// A failed native driver fails the run as a user error, with the
// container's exit.
func TestNativeDriverFailure(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "", nativeCluster)
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	driver := nativeObjects(t, ns, id)
	setStatus(t, driver, corev1.PodFailed, terminated("spark-kubernetes-driver", 1, "Error"))
	run := waitState(t, s.Client, vc, id, types.JobRunStateFailed)
	if run.FailureReason != types.FailureReasonUserError || !strings.Contains(aws.ToString(run.StateDetails), "exited with code 1") {
		t.Errorf("reason %s details %q", run.FailureReason, aws.ToString(run.StateDetails))
	}
}

// CancelJobRun of a native run deletes its driver (and with it what it
// owns) and ends CANCELLED.
func TestNativeCancel(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "", nativeCluster)
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	nativeObjects(t, ns, id)
	if _, err := s.Client.CancelJobRun(context.Background(), &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "cancelled", func() error {
		finishDeletions(t, ns)
		out, err := s.Client.DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)})
		if err != nil {
			return err
		}
		if out.JobRun.State != types.JobRunStateCancelled {
			return errors.New(string(out.JobRun.State))
		}
		return nil
	})
	pods, _ := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: k8sruntime.LabelJobID + "=" + id})
	if len(pods.Items) > 0 {
		t.Errorf("%d pods left after CANCELLED", len(pods.Items))
	}
}

// A run's own submissionMode wins over its cluster's, and a value that is
// not a mode is a ValidationException naming the field.
func TestSubmissionModeSelection(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "", nativeCluster)
	vc := createVC(t, s.Client, ns)
	mode := func(m string) *types.ConfigurationOverrides {
		return &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{{
			Classification: aws.String(emr.SparkplaneClassification), Properties: map[string]string{emr.SubmissionModeProperty: m}}}}
	}
	id := startPi(t, s.Client, vc, mode("job-runner"))
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	if _, err := kube.BatchV1().Jobs(ns).Get(context.Background(), id, metav1.GetOptions{}); err != nil {
		t.Errorf("a job-runner run on a native cluster has no job runner: %v", err)
	}
	_, err := s.Client.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vc), Name: aws.String("bad"), ExecutionRoleArn: aws.String(role), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver:              &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{EntryPoint: aws.String("local:///x.py")}},
		ConfigurationOverrides: mode("jvm")})
	var ve *types.ValidationException
	if !errors.As(err, &ve) || !strings.Contains(ve.ErrorMessage(), "sparkplane.submissionMode") {
		t.Errorf("submissionMode jvm: %v, want a ValidationException naming the field", err)
	}
}
