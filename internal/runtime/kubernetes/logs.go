package kubernetes

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	corev1 "k8s.io/api/core/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/rundir"
)

// Log files a Kubernetes run leaves in its folder.
const (
	LogJobRunner = "job-runner"
	LogDriver    = "driver"
)

// maxLogBytes bounds what is kept of one pod's log.
const maxLogBytes = 16 << 20

// CollectLogs keeps the logs of the run's job runner and driver pods in the
// run's folder, where `sparkplane logs` reads them after the pods are gone.
// It is best-effort: a pod that has no log (never started) is skipped.
func (r *Runtime) CollectLogs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	ns := vc.ContainerProvider.Namespace()
	w, err := r.watch(ctx, ns)
	if err != nil {
		return err
	}
	pods, err := w.pods.List(attemptSelector(run))
	if err != nil {
		return err
	}
	dir := rundir.Path(r.opts.LogsDir, run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	var firstErr error
	for file, component := range map[string]string{LogJobRunner: ComponentSubmitter, LogDriver: ComponentDriver} {
		pod := newest(pods, component)
		if pod == nil {
			continue
		}
		if err := r.saveLog(ctx, pod, filepath.Join(dir, file)); err != nil && firstErr == nil {
			firstErr = err
		}
	}
	return firstErr
}

func (r *Runtime) saveLog(ctx context.Context, pod *corev1.Pod, path string) error {
	limit := int64(maxLogBytes)
	b, err := r.opts.Client.CoreV1().Pods(pod.Namespace).GetLogs(pod.Name, &corev1.PodLogOptions{LimitBytes: &limit}).DoRaw(ctx)
	if err != nil {
		return fmt.Errorf("logs of pod %s: %w", pod.Name, err)
	}
	return os.WriteFile(path, b, 0o644)
}
