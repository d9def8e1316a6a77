package kubernetes

import (
	"context"
	"fmt"
	"slices"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Native submission (emr.SubmitNative): instead of a job-runner pod whose
// spark-submit creates the driver, the runtime creates, as Spark's
// Kubernetes submission client does and in its order, the driver pod, then
// the executor pod template's ConfigMap, the driver's headless Service and
// the ConfigMap of its spark.properties, those three owned by the pod
// (deleting the driver removes them, and its executors, which it owns).
// No JVM runs on the way. Objects are named after the run's id and attempt
// (nativespec.go), and each is created only if absent, so a server killed
// between two creations creates the rest, never a second driver, when it
// submits again.
//
// Observe reads the driver pod (the same mapping as the job-runner mode's,
// observe.go); Stop, logs, shipping and metering work on the run's pods as
// in the job-runner mode, which has no job runner here.

// nativeSparkUser is SPARK_USER in native drivers: the user spark-submit
// runs as in the Apache Spark images' job runner.
const nativeSparkUser = "spark"

// mode is the submission mode of run: its own, else the cluster's. A
// spark-sql file is always submitted natively: Apache Spark's spark-submit
// has no cluster deploy mode for its SQL shell, so a job runner could only
// fail it (EMR's own spark-submit is patched to allow it).
func (r *Runtime) mode(run *emr.JobRun) emr.SubmissionMode {
	if run.JobDriver != nil && run.JobDriver.SparkSQLJobDriver != nil {
		return emr.SubmitNative
	}
	def := r.opts.SubmissionMode
	if def == "" {
		def = emr.SubmitJobRunner
	}
	return emr.RunSubmissionMode(run, def)
}

// nativeSpec builds the native objects of p; names take their time part
// from named (the run's creation: the same after a restart).
func (p *plan) nativeSpec(named, now time.Time) (*nativeSpec, error) {
	version := p.image.SparkVersion
	if version == "" {
		version = sparkVersionOf(p.image.Image)
	}
	s, err := p.buildNative(version, nativeSparkUser, named, now)
	if err != nil {
		return nil, &runtime.SubmitError{Reason: emr.FailureValidation, Message: err.Error()}
	}
	return s, nil
}

// createNative creates the run's driver pod, then what it owns; staged,
// the pod is created with the gate StagedGate (staging.go), else a gate
// found on it is lifted once the rest exists.
func (r *Runtime) createNative(ctx context.Context, p *plan, run *emr.JobRun, staged bool) error {
	now := time.Now()
	s, err := p.nativeSpec(run.CreatedAt, now)
	if err != nil {
		return err
	}
	if staged {
		s.pod.Spec.SchedulingGates = append(s.pod.Spec.SchedulingGates, corev1.PodSchedulingGate{Name: StagedGate})
	}
	c := r.opts.Client
	pods := c.CoreV1().Pods(p.ns)
	pod, err := pods.Create(ctx, s.pod, metav1.CreateOptions{FieldManager: fieldManager})
	if err == nil && staged && !gated(pod) { // created here, without the gate asked for
		return r.gatesIgnored(ctx, pod)
	}
	if apierrors.IsAlreadyExists(err) {
		pod, err = pods.Get(ctx, s.pod.Name, metav1.GetOptions{})
	}
	if err != nil {
		return clusterError("create the driver pod", p.ns, err)
	}
	owner := ownedByPod(pod)
	s.templateMap.OwnerReferences, s.service.OwnerReferences, s.confMap.OwnerReferences = owner, owner, owner
	if _, err := c.CoreV1().ConfigMaps(p.ns).Create(ctx, s.templateMap, metav1.CreateOptions{FieldManager: fieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
		return clusterError("create ConfigMap "+s.templateMap.Name, p.ns, err)
	}
	if _, err := c.CoreV1().Services(p.ns).Create(ctx, s.service, metav1.CreateOptions{FieldManager: fieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
		return clusterError("create Service "+s.service.Name, p.ns, err)
	}
	if _, err := c.CoreV1().ConfigMaps(p.ns).Create(ctx, s.confMap, metav1.CreateOptions{FieldManager: fieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
		return clusterError("create ConfigMap "+s.confMap.Name, p.ns, err)
	}
	if !staged && gated(pod) {
		if err := r.liftGate(ctx, pod, now); err != nil {
			return clusterError("lift the scheduling gate of the driver pod", p.ns, err)
		}
	}
	return nil
}

// ownedByPod makes the driver pod the controlling owner, as Spark does.
func ownedByPod(pod *corev1.Pod) []metav1.OwnerReference {
	yes := true
	return []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID, Controller: &yes}}
}

// observeNative reports the run's driver pod: Unknown when there is none
// (it was deleted: nothing of the attempt is left).
func (r *Runtime) observeNative(ctx context.Context, w *nsWatch, ns string, vc *emr.VirtualCluster, run *emr.JobRun) (runtime.Observation, error) {
	pods, err := w.pods.List(attemptSelector(run))
	if err != nil {
		return runtime.Observation{}, err
	}
	driver := newest(pods, ComponentDriver)
	if driver != nil && gated(driver) {
		// The cache has not seen Submit lift the gate yet: read the pod
		// below, or the submission time would be the staging's.
		pods = slices.DeleteFunc(pods, func(p *corev1.Pod) bool { return p.UID == driver.UID })
		driver = nil
	}
	if driver == nil {
		pod, err := r.opts.Client.CoreV1().Pods(ns).Get(ctx, DriverPodName(run), metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return runtime.Observation{Phase: runtime.PhaseUnknown}, nil
		}
		if err != nil {
			return runtime.Observation{}, fmt.Errorf("get driver pod %s: %w", DriverPodName(run), err)
		}
		pods, driver = append(pods, pod), pod
	}
	r.ships.observe(ctx, run, ns, w.pods, pods)
	// Submitted when the driver pod was created (its gate lifted, when it
	// was staged), as the Job's creation in job-runner mode.
	return r.observation(ctx, vc, run, &batchv1.Job{}, pods, submittedAt(driver)), nil
}
