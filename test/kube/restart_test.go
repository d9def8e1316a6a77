package kube

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// TestRestartNeitherDuplicatesNorLoses stops the server between every step
// of a run: the next server finds the objects it created instead of
// creating them again, and follows the run to its end.
func TestRestartNeitherDuplicatesNorLoses(t *testing.T) {
	ns := namespace(t)
	dir := t.TempDir()
	s := startServer(t, dir, "")
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	job, err := kube.BatchV1().Jobs(ns).Get(context.Background(), id, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	s.Stop()

	driver := createDriver(t, ns, vc, id)
	setStatus(t, driver, corev1.PodRunning)
	s = startServer(t, dir, "")
	waitState(t, s.Client, vc, id, types.JobRunStateRunning)
	s.Stop()

	setStatus(t, driver, corev1.PodSucceeded, terminated("spark-kubernetes-driver", 0, "Completed"))
	s = startServer(t, dir, "")
	waitState(t, s.Client, vc, id, types.JobRunStateCompleted)

	jobs, _ := kube.BatchV1().Jobs(ns).List(context.Background(), metav1.ListOptions{})
	if len(jobs.Items) != 1 || jobs.Items[0].UID != job.UID {
		t.Errorf("%d Jobs after restarts; want the original one only", len(jobs.Items))
	}
}

// TestRunWhoseObjectsVanishedWhileDownFails: the Job was deleted while no
// server ran; the next server fails the run and says why.
func TestRunWhoseObjectsVanishedWhileDownFails(t *testing.T) {
	ns := namespace(t)
	dir := t.TempDir()
	s := startServer(t, dir, "")
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
	s.Stop()

	background := metav1.DeletePropagationBackground
	if err := kube.BatchV1().Jobs(ns).Delete(context.Background(), id, metav1.DeleteOptions{PropagationPolicy: &background}); err != nil {
		t.Fatal(err)
	}
	s = startServer(t, dir, "")
	run := waitState(t, s.Client, vc, id, types.JobRunStateFailed)
	if run.FailureReason != types.FailureReasonInternalError || !strings.Contains(aws.ToString(run.StateDetails), "disappeared") {
		t.Errorf("reason %s details %q", run.FailureReason, aws.ToString(run.StateDetails))
	}
}
