package api

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"regexp"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// ContainerLogSource is a LogSource that also reads the logs of each of a
// run's containers (job runner, driver, executors) by pod name: live from
// the runtime, or shipped to S3 (s3MonitoringConfiguration).
type ContainerLogSource interface {
	Containers(ctx context.Context, run *emr.JobRun) ([]runtime.ContainerLog, error)
	OpenContainer(ctx context.Context, run *emr.JobRun, container, stream string) (io.ReadCloser, error)
}

// containerStreams are the streams of one container.
var containerStreams = []string{"stdout", "stderr"}

// jobRunContainers lists the containers of a run whose logs can be read:
// sparkplane's own endpoint, behind `sparkplane logs --list`, authorized as
// GetJobRunLogs on the run.
func (s *Server) jobRunContainers(w http.ResponseWriter, r *http.Request) {
	run, err := s.getJobRun(r, ActionGetJobRunLogs)
	if err != nil {
		writeError(w, r, s.opts.Logger, err)
		return
	}
	containers := []runtime.ContainerLog{}
	if src, ok := s.opts.Logs.(ContainerLogSource); ok {
		if containers, err = src.Containers(r.Context(), run); err != nil {
			writeError(w, r, s.opts.Logger, err)
			return
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"jobRunId": run.ID, "state": run.State, "containers": containers})
}

// openContainerLog opens stream of the run's container named container.
func (s *Server) openContainerLog(r *http.Request, run *emr.JobRun, container, stream string) (io.ReadCloser, error) {
	if !podName.MatchString(container) {
		return nil, emr.Validationf("container: want a pod name (at most 253 lowercase letters, digits, '-' and '.'), as `sparkplane logs --list` shows.")
	}
	src, ok := s.opts.Logs.(ContainerLogSource)
	if !ok {
		return nil, runtime.ErrLogNotFound
	}
	rc, err := src.OpenContainer(r.Context(), run, container, stream)
	if errors.Is(err, runtime.ErrLogNotFound) {
		return nil, emr.NotFoundf("Job run %s has no %s of container %s (it is %s; a container's log is read from its pod while it exists, and from the run's logUri once shipped).", run.ID, stream, container, run.State)
	}
	return rc, err
}

// podName is what a container of a run is named by: a pod's name (a DNS
// subdomain), so nothing else reaches the log sources or an error message.
var podName = regexp.MustCompile(`^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$`)
