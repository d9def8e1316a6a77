package kube

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// TestRetryPolicyStartsANewAttempt: the first driver fails, so a second
// job runner (<id>-2) starts a second driver (spark-<id>-driver-2); the run
// completes with currentAttemptCount 2 and the first attempt's objects kept.
func TestRetryPolicyStartsANewAttempt(t *testing.T) {
	ns := namespace(t)
	s := startServer(t, "", "")
	vc := createVC(t, s.Client, ns)
	ctx := context.Background()
	out, err := s.Client.StartJobRun(ctx, &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vc), Name: aws.String("retry"),
		ExecutionRoleArn: aws.String(role), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String("local:///usr/lib/spark/examples/src/main/python/pi.py")}},
		RetryPolicyConfiguration: &types.RetryPolicyConfiguration{MaxAttempts: aws.Int32(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Id)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	d1 := createDriverAttempt(t, ns, vc, id, 1)
	setStatus(t, d1, corev1.PodRunning)
	waitState(t, s.Client, vc, id, types.JobRunStateRunning)
	setStatus(t, d1, corev1.PodFailed, terminated("spark-kubernetes-driver", 1, "Error"))

	eventually(t, "second job runner", func() error {
		job, err := kube.BatchV1().Jobs(ns).Get(ctx, id+"-2", metav1.GetOptions{})
		if err != nil {
			return err
		}
		if job.Labels[k8sruntime.LabelAttempt] != "2" || job.Labels[k8sruntime.LabelJobID] != id {
			return fmt.Errorf("labels %v", job.Labels)
		}
		return nil
	})
	run := waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	if aws.ToInt32(run.RetryPolicyExecution.CurrentAttemptCount) != 2 || !strings.Contains(aws.ToString(run.StateDetails), "Attempt 2 of 2") {
		t.Errorf("after the first failure: %+v %q", run.RetryPolicyExecution, aws.ToString(run.StateDetails))
	}
	cm, err := kube.CoreV1().ConfigMaps(ns).Get(ctx, id+"-2-spark-defaults", metav1.GetOptions{})
	if err != nil || !strings.Contains(cm.Data["spark-defaults.conf"], "spark.kubernetes.driver.pod.name spark-"+id+"-driver-2\n") {
		t.Fatalf("second attempt's spark-defaults: %v", err)
	}

	d2 := createDriverAttempt(t, ns, vc, id, 2)
	setStatus(t, d2, corev1.PodRunning)
	waitState(t, s.Client, vc, id, types.JobRunStateRunning)
	setStatus(t, d2, corev1.PodSucceeded, terminated("spark-kubernetes-driver", 0, "Completed"))
	waitState(t, s.Client, vc, id, types.JobRunStateCompleted)
	if _, err := kube.BatchV1().Jobs(ns).Get(ctx, id, metav1.GetOptions{}); err != nil {
		t.Errorf("first attempt's Job: %v", err)
	}
}
