// Package rundir lays out the folder each job run keeps under the data
// directory's runs/: <virtual cluster>/<job run>/ for the first attempt and
// <virtual cluster>/<job run>/attempt-<N>/ for each later attempt of a retry
// policy. Runtimes write a run's files (configuration, logs, exit code)
// there; the local runtime serves a live run's logs from there.
package rundir

import (
	"path/filepath"
	"strconv"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Path is the folder of the current attempt of run under runsDir.
func Path(runsDir string, run *emr.JobRun) string {
	dir := filepath.Join(runsDir, run.VirtualClusterID, run.ID)
	if n := run.Attempt(); n > 1 {
		dir = filepath.Join(dir, "attempt-"+strconv.Itoa(n))
	}
	return dir
}
