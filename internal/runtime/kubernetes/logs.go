package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"

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

// CollectLogs implements runtime.LogCollector: it puts the logs of the
// current attempt's job runner and driver pods (the last
// runtime.MaxArchivedLog bytes of each) into Options.Archive, where every
// server reads them after the pods are gone. A pod that has no log (never
// started) is skipped.
func (r *Runtime) CollectLogs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	if r.opts.Archive == nil {
		return nil
	}
	var errs []error
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

// attemptPod returns the newest pod of the component in the run's current
// attempt, from the informer cache; nil when there is none.
func (r *Runtime) attemptPod(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, component string) (*corev1.Pod, error) {
	w, err := r.watch(ctx, vc.ContainerProvider.Namespace())
	if err != nil {
		return nil, err
	}
	pods, err := w.pods.List(attemptSelector(run))
	if err != nil {
		return nil, err
	}
	return newest(pods, component), nil
}
