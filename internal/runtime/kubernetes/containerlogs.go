package kubernetes

import (
	"context"
	"fmt"
	"io"
	"sort"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

var _ runtime.LiveContainerLogs = (*Runtime)(nil)

// Containers implements runtime.LiveContainerLogs: the pods of the current
// attempt whose main container started, from the informer cache. A pod's
// log is Kubernetes's one stream of it, served as stdout (see ship.go).
func (r *Runtime) Containers(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) ([]runtime.ContainerLog, error) {
	pods, err := r.attemptPods(ctx, vc, run)
	if err != nil {
		return nil, err
	}
	var out []runtime.ContainerLog
	for _, p := range pods {
		if !containerStarted(p, mainContainer(p)) {
			continue
		}
		c := runtime.ContainerLog{Name: p.Name, SparkApplicationID: p.Labels[labelSparkAppID], Streams: []string{logship.Stdout}, Location: "live"}
		switch component(p) {
		case ComponentSubmitter:
			c.Role, c.SparkApplicationID = logship.RoleJobRunner, ""
		case ComponentDriver:
			c.Role = logship.RoleDriver
		default:
			c.Role = logship.RoleExecutor
		}
		out = append(out, c)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// ContainerLog implements runtime.LiveContainerLogs: the log of the named
// pod of the current attempt, streamed from the API server as far as it is
// written.
func (r *Runtime) ContainerLog(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, container, stream string) (io.ReadCloser, error) {
	if stream != logship.Stdout {
		return nil, fmt.Errorf("a pod's log is one stream, served as stdout: %w", runtime.ErrLogNotFound)
	}
	w, err := r.watch(ctx, vc.ContainerProvider.Namespace())
	if err != nil {
		return nil, err
	}
	pods, err := w.pods.List(attemptSelector(run))
	if err != nil {
		return nil, err
	}
	var pod *corev1.Pod
	for _, p := range pods {
		if p.Name == container {
			pod = p
		}
	}
	if pod == nil {
		return nil, fmt.Errorf("pod %s of %s: %w", container, runtime.Key(run.VirtualClusterID, run.ID), runtime.ErrLogNotFound)
	}
	rc, err := r.opts.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{Container: mainContainer(pod)}).Stream(ctx)
	if apierrors.IsNotFound(err) || apierrors.IsBadRequest(err) {
		return nil, fmt.Errorf("logs of pod %s: %w: %w", pod.Name, runtime.ErrLogNotFound, err)
	}
	if err != nil {
		return nil, fmt.Errorf("logs of pod %s: %w", pod.Name, err)
	}
	return rc, nil
}
