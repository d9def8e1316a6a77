package kubernetes

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Staging (runtime.Stager): a native run that waits for admission has its
// driver pod, and the ConfigMaps and Service the pod owns, created at once
// (Kueue does the same for the workloads it queues), held back by the
// scheduling gate StagedGate: neither kube-scheduler nor a cluster
// autoscaler acts on a gated pod, and it takes no room on a node. Users see
// their queued drivers in kubectl (SchedulingGated); admission counts only
// the room they will take once admitted. When the run is admitted, Submit
// finds the pod and lifts the gate, one patch that also stamps the pod with
// the submission time (AnnotationSubmittedAt): the job start timeout, like
// the run's SUBMITTED time, counts from there, not from the pod's creation.
//
// Nothing is staged in job-runner mode (the job runner's spark-submit
// creates the driver), with admission other than "nodes", in a namespace
// with a ResourceQuota or whose quotas may not be read (a gated pod is
// charged to the quota when it is created, and queued drivers would take
// what running applications need for their executors), beyond maxStaged
// gated pods in a namespace, or on a cluster that drops scheduling gates
// (gatesIgnored).

// StagedGate is the scheduling gate of a staged driver pod.
const StagedGate = "sparkplane.io/admission"

// AnnotationSubmittedAt is when the gate of a staged driver pod was lifted
// (RFC 3339 with nanoseconds).
const AnnotationSubmittedAt = "sparkplane.io/submitted-at"

// maxStaged bounds the gated driver pods of a namespace: a queue of
// thousands keeps its runs in the store, not as objects in etcd.
const maxStaged = 200

// Stage implements runtime.Stager (see the comment above). A run staged
// already costs a lookup in the namespace's pod cache.
func (r *Runtime) Stage(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	if r.opts.Admission != AdmitNodes || r.mode(run) != emr.SubmitNative || run.Attempt() != 1 || r.adm.noStaging.Load() {
		return nil
	}
	ns := vc.ContainerProvider.Namespace()
	w, err := r.watch(ctx, ns)
	if err != nil {
		return err
	}
	if _, err := w.pods.Get(DriverPodName(run)); err == nil {
		return nil // staged (or submitted) already
	}
	pods, err := w.pods.List(labels.Everything())
	if err != nil {
		return err
	}
	staged := 0
	for _, pod := range pods {
		if gated(pod) {
			staged++
		}
	}
	if staged >= maxStaged {
		return nil
	}
	if quotas, _, err := r.quotas(ctx, ns); err != nil || len(quotas) > 0 {
		return err
	}
	if _, unread := r.adm.noQuota.Load(ns); unread { // there may be quotas
		return nil
	}
	p, err := newPlanWith(vc, run, &r.opts, r.templateSource(ctx, run))
	if err != nil {
		return nil // Submit refuses it, saying why
	}
	if err := r.prepare(ctx, p, run); err != nil {
		return err
	}
	return r.createNative(ctx, p, run, true)
}

// gatesIgnored handles a staged driver pod created without its gate: the
// API server does not know scheduling gates (before Kubernetes 1.27, or
// with PodSchedulingReadiness off) and would run it before its turn. The
// pod is deleted and staging is off for good on this cluster.
func (r *Runtime) gatesIgnored(ctx context.Context, pod *corev1.Pod) error {
	r.adm.noStaging.Store(true)
	r.opts.Logger.Warn("the cluster drops pods' scheduling gates: native runs waiting for admission are not staged", "pod", pod.Namespace+"/"+pod.Name)
	zero := int64(0)
	err := r.opts.Client.CoreV1().Pods(pod.Namespace).Delete(ctx, pod.Name, metav1.DeleteOptions{GracePeriodSeconds: &zero,
		Preconditions: &metav1.Preconditions{UID: &pod.UID}})
	if err != nil && !errors.IsNotFound(err) {
		return fmt.Errorf("delete the ungated staged pod %s: %w", pod.Name, err)
	}
	return fmt.Errorf("staged pod %s created without its scheduling gate: staging is off", pod.Name)
}

var _ runtime.Stager = (*Runtime)(nil)

// gated reports whether pod is a staged driver not admitted yet.
func gated(pod *corev1.Pod) bool {
	return slices.ContainsFunc(pod.Spec.SchedulingGates, func(g corev1.PodSchedulingGate) bool { return g.Name == StagedGate })
}

// liftGate lets a staged driver pod be scheduled, stamping when.
func (r *Runtime) liftGate(ctx context.Context, pod *corev1.Pod, now time.Time) error {
	patch, err := json.Marshal(map[string]any{
		"metadata": map[string]any{"annotations": map[string]string{AnnotationSubmittedAt: now.UTC().Format(time.RFC3339Nano)}},
		"spec":     map[string]any{"schedulingGates": []map[string]string{{"$patch": "delete", "name": StagedGate}}},
	})
	if err != nil {
		return err
	}
	_, err = r.opts.Client.CoreV1().Pods(pod.Namespace).Patch(ctx, pod.Name, types.StrategicMergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
	if errors.IsNotFound(err) {
		return fmt.Errorf("the staged driver pod %s went before its gate was lifted; submitting again", pod.Name)
	}
	return err
}

// submittedAt is when the driver pod was submitted: when its gate was
// lifted if it was staged, else when it was created.
func submittedAt(driver *corev1.Pod) time.Time {
	if at, err := time.Parse(time.RFC3339Nano, driver.Annotations[AnnotationSubmittedAt]); err == nil {
		return at
	}
	return driver.CreationTimestamp.Time
}
