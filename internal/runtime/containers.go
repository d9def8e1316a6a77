package runtime

import (
	"context"
	"fmt"
	"io"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// ContainerLog is one container of a run whose logs can be read by its
// name (the pod's): the job runner, the driver or an executor.
type ContainerLog struct {
	// Name is the pod's name (a local run: its driver's, see
	// internal/runtime/local/ship.go).
	Name string `json:"name"`
	// Role is "job-runner", "driver" or "executor".
	Role string `json:"role"`
	// SparkApplicationID is the Spark application id of a driver or an
	// executor.
	SparkApplicationID string `json:"sparkApplicationId,omitempty"`
	// Streams are the streams it has: "stdout", "stderr".
	Streams []string `json:"streams"`
	// Location says where its logs are read from: an s3:// URI of its
	// folder, or "live" while it runs and nothing is shipped yet.
	Location string `json:"location"`
}

// LiveContainerLogs is a Runtime that serves the log of each container of
// a run's current attempt (executors included) while its pod exists.
type LiveContainerLogs interface {
	// Containers lists the attempt's containers that have a log now.
	Containers(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) ([]ContainerLog, error)
	// ContainerLog opens stream (stdout, stderr) of the named container; an
	// error wrapping ErrLogNotFound when there is none.
	ContainerLog(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, container, stream string) (io.ReadCloser, error)
}

// Containers lists the containers of the run whose logs its runtime serves
// live; none when it serves none.
func (s *LogSource) Containers(ctx context.Context, run *emr.JobRun) ([]ContainerLog, error) {
	live, vc, err := s.liveContainers(ctx, run)
	if err != nil || live == nil {
		return nil, err
	}
	return live.Containers(ctx, vc, run)
}

// OpenContainer opens stream of the run's container from its runtime; an
// error wrapping ErrLogNotFound when it has none.
func (s *LogSource) OpenContainer(ctx context.Context, run *emr.JobRun, container, stream string) (io.ReadCloser, error) {
	live, vc, err := s.liveContainers(ctx, run)
	if err != nil {
		return nil, err
	}
	if live == nil {
		return nil, fmt.Errorf("no live container logs: %w", ErrLogNotFound)
	}
	return live.ContainerLog(ctx, vc, run, container, stream)
}

func (s *LogSource) liveContainers(ctx context.Context, run *emr.JobRun) (LiveContainerLogs, *emr.VirtualCluster, error) {
	vc, err := s.vc(ctx, run.VirtualClusterID)
	if err != nil {
		return nil, nil, fmt.Errorf("virtual cluster of %s: %w", Key(run.VirtualClusterID, run.ID), err)
	}
	live, _ := s.runtimes[vc.ContainerProvider.ID].(LiveContainerLogs)
	return live, vc, nil
}
