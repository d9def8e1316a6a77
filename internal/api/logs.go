package api

import (
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/rundir"
)

// LogStreams are the log files a run may have: stdout and stderr of a local
// run's spark-submit; the job runner's and the driver's pod logs of a
// Kubernetes run.
var LogStreams = []string{"stdout", "stderr", "job-runner", "driver"}

// jobRunLog serves one log stream of a run: sparkplane's own endpoint,
// outside the AWS paths, behind `sparkplane logs`.
func (s *Server) jobRunLog(w http.ResponseWriter, r *http.Request) {
	run, err := s.getJobRun(r)
	if err != nil {
		writeError(w, r, s.opts.Logger, err)
		return
	}
	stream := r.PathValue("stream")
	if !slices.Contains(LogStreams, stream) {
		writeError(w, r, s.opts.Logger, emr.Validationf("Log stream %q does not exist; use one of %s.", stream, strings.Join(LogStreams, ", ")))
		return
	}
	f, err := os.Open(filepath.Join(rundir.Path(s.opts.RunsDir, run), stream))
	if errors.Is(err, os.ErrNotExist) {
		writeError(w, r, s.opts.Logger, emr.NotFoundf("Job run %s has no %s yet (it is %s).", run.ID, stream, run.State))
		return
	}
	if err != nil {
		writeError(w, r, s.opts.Logger, err)
		return
	}
	defer f.Close()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Sparkplane-Job-Run-State", string(run.State))
	_, _ = io.Copy(w, f)
}
