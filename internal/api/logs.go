package api

import (
	"context"
	"errors"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// LogStreams are the log streams a run may have: stdout and stderr of a
// local run's spark-submit; the job runner's and the driver's pod logs of a
// Kubernetes run.
var LogStreams = runtime.LogStreams

// LogSource opens one log stream of a run's current attempt; an error
// wrapping runtime.ErrLogNotFound means there is none (yet). It is
// runtime.LogSource in a server.
type LogSource interface {
	Open(ctx context.Context, run *emr.JobRun, stream string) (io.ReadCloser, error)
}

// jobRunLog serves one log stream of a run: sparkplane's own endpoint,
// outside the AWS paths, behind `sparkplane logs`. With ?container=<pod>,
// stream (stdout or stderr) is that container's (see containerlogs.go).
func (s *Server) jobRunLog(w http.ResponseWriter, r *http.Request) {
	run, err := s.getJobRun(r, ActionGetJobRunLogs)
	if err != nil {
		writeError(w, r, s.opts.Logger, err)
		return
	}
	stream := r.PathValue("stream")
	if container := r.URL.Query().Get("container"); container != "" {
		if !slices.Contains(containerStreams, stream) {
			writeError(w, r, s.opts.Logger, emr.Validationf("Log stream %q of a container does not exist; use one of %s.", stream, strings.Join(containerStreams, ", ")))
			return
		}
		f, err := s.openContainerLog(r, run, container, stream)
		if err != nil {
			writeError(w, r, s.opts.Logger, err)
			return
		}
		writeLog(w, run, f)
		return
	}
	if !slices.Contains(LogStreams, stream) {
		writeError(w, r, s.opts.Logger, emr.Validationf("Log stream %q does not exist; use one of %s.", stream, strings.Join(LogStreams, ", ")))
		return
	}
	var f io.ReadCloser
	err = runtime.ErrLogNotFound
	if s.opts.Logs != nil {
		f, err = s.opts.Logs.Open(r.Context(), run, stream)
	}
	if errors.Is(err, runtime.ErrLogNotFound) {
		writeError(w, r, s.opts.Logger, emr.NotFoundf("Job run %s has no %s yet (it is %s).", run.ID, stream, run.State))
		return
	}
	if err != nil {
		writeError(w, r, s.opts.Logger, err)
		return
	}
	writeLog(w, run, f)
}

// writeLog sends the log f of run as the answer and closes it.
func writeLog(w http.ResponseWriter, run *emr.JobRun, f io.ReadCloser) {
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Sparkplane-Job-Run-State", string(run.State))
	_, _ = io.Copy(w, f)
}
