package local

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
	"github.com/sparkplane/sparkplane/internal/rundir"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

var _ runtime.LiveContainerLogs = (*Runtime)(nil)

// Containers implements runtime.LiveContainerLogs: a local run's one
// container, its driver (named as in ship.go), once spark-submit started.
func (r *Runtime) Containers(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) ([]runtime.ContainerLog, error) {
	if _, err := os.Stat(filepath.Join(rundir.Path(r.opts.Dir, run), fileStdout)); err != nil {
		return nil, nil
	}
	return []runtime.ContainerLog{{Name: driverName(run), Role: logship.RoleDriver, SparkApplicationID: sparkAppID(run),
		Streams: []string{logship.Stdout, logship.Stderr}, Location: "live"}}, nil
}

// ContainerLog implements runtime.LiveContainerLogs: the driver's stdout or
// stderr file (see Logs).
func (r *Runtime) ContainerLog(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, container, stream string) (io.ReadCloser, error) {
	if container != driverName(run) {
		return nil, fmt.Errorf("a local run has no container %s: %w", container, runtime.ErrLogNotFound)
	}
	return r.Logs(ctx, vc, run, stream)
}
