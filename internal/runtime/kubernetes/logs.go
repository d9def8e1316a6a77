package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Log streams of a Kubernetes run.
const (
	LogJobRunner = runtime.StreamJobRunner
	LogDriver    = runtime.StreamDriver
)

// streamComponents map each log stream to the component of the pod it is
// the log of.
var streamComponents = map[string]string{LogJobRunner: ComponentSubmitter, LogDriver: ComponentDriver}

// Logs implements runtime.LiveLogs: the log of the current attempt's job
// runner or driver pod, streamed from the API server (so any server can
// serve it) for as long as the pod exists.
func (r *Runtime) Logs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, stream string) (io.ReadCloser, error) {
	component, ok := streamComponents[stream]
	if !ok {
		return nil, fmt.Errorf("a Kubernetes run has no %s: %w", stream, runtime.ErrLogNotFound)
	}
	pod, err := r.attemptPod(ctx, vc, run, component)
	if err != nil {
		return nil, err
	}
	if pod == nil {
		return nil, fmt.Errorf("%s of %s: no pod: %w", stream, runtime.Key(run.VirtualClusterID, run.ID), runtime.ErrLogNotFound)
	}
	rc, err := r.opts.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{}).Stream(ctx)
	if apierrors.IsNotFound(err) || apierrors.IsBadRequest(err) {
		// Gone, or its container has not started (BadRequest: "is waiting to start").
		return nil, fmt.Errorf("logs of pod %s: %w: %w", pod.Name, runtime.ErrLogNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("logs of pod %s: %w", pod.Name, err)
	}
	return rc, nil
}

// CollectLogs implements runtime.LogCollector: it ships what is left of
// the logs of the current attempt's pods (Options.Ship, see ship.go) and
// puts the logs of its job runner and driver pods (the last
// runtime.MaxArchivedLog bytes of each) into Options.Archive, where every
// server reads them after the pods are gone. A pod that has no log (never
// started) is skipped.
func (r *Runtime) CollectLogs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	var errs []error
	if r.ships != nil {
		errs = append(errs, r.collectShipped(ctx, vc, run))
	}
	if r.opts.Archive == nil {
		return errors.Join(errs...)
	}
	for _, stream := range []string{LogJobRunner, LogDriver} {
		rc, err := r.Logs(ctx, vc, run, stream)
		if errors.Is(err, runtime.ErrLogNotFound) {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		data, err := runtime.ReadTail(rc, runtime.MaxArchivedLog)
		rc.Close()
		if err == nil {
			err = r.opts.Archive.PutJobRunLog(ctx, run.VirtualClusterID, run.ID, run.Attempt(), stream, data)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("archive %s: %w", stream, err))
		}
	}
	return errors.Join(errs...)
}

// collectShipped ships what is left of the logs of the current attempt's
// pods.
func (r *Runtime) collectShipped(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	ns := vc.ContainerProvider.Namespace()
	w, err := r.watch(ctx, ns)
	if err != nil {
		return err
	}
	pods, err := w.pods.List(attemptSelector(run))
	if err != nil {
		return err
	}
	return r.ships.collect(ctx, run, ns, w.pods, pods)
}

// attemptPod returns the newest pod of the component in the run's current
// attempt, from the informer cache; nil when there is none.
func (r *Runtime) attemptPod(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, component string) (*corev1.Pod, error) {
	pods, err := r.attemptPods(ctx, vc, run)
	if err != nil {
		return nil, err
	}
	return newest(pods, component), nil
}

// attemptPods returns the pods of the run's current attempt, from the
// informer cache.
func (r *Runtime) attemptPods(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) ([]*corev1.Pod, error) {
	w, err := r.watch(ctx, vc.ContainerProvider.Namespace())
	if err != nil {
		return nil, err
	}
	return w.pods.List(attemptSelector(run))
}

// failureLogLines and failureLogTimeout bound what failureCause reads of a
// failed pod's log, and for how long.
const (
	failureLogLines   = 1000
	failureLogTimeout = 10 * time.Second
)

// failureCause reads the end of a failed job runner's or driver's log and
// returns the line that explains the failure (see runtime.FailureSummary):
// the S3A exception of an s3:// entry point that is missing or denied, a
// Python error, the exception of the application. Best-effort: "" when the
// log cannot be read (the pod is gone, the node does not answer).
func (r *Runtime) failureCause(ctx context.Context, pod *corev1.Pod) string {
	ctx, cancel := context.WithTimeout(ctx, failureLogTimeout)
	defer cancel()
	lines := int64(failureLogLines)
	opts := &corev1.PodLogOptions{Container: mainContainer(pod), TailLines: &lines}
	rc, err := r.opts.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, opts).Stream(ctx)
	if err != nil {
		r.opts.Logger.Debug("cannot read the log of a failed pod", "pod", pod.Name, "err", err)
		return ""
	}
	defer rc.Close()
	return runtime.FailureSummary(rc)
}

// mainContainer is the container of a run's pod whose log is Spark's: the
// driver's or the job runner's, else the pod's first.
func mainContainer(pod *corev1.Pod) string {
	for _, name := range []string{driverContainer, jobRunnerContainer} {
		if hasContainer(pod.Spec.Containers, name) {
			return name
		}
	}
	if len(pod.Spec.Containers) > 0 {
		return pod.Spec.Containers[0].Name
	}
	return ""
}
