package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/rundir"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Logs implements runtime.LiveLogs: the stdout or stderr file of the run's
// current attempt, as far as spark-submit has written it. Only a server
// that sees the run folder has it: the one that runs it, or one sharing its
// data directory. Files stay there after the run ends, so this also serves
// ended runs whose logs were not archived.
func (r *Runtime) Logs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, stream string) (io.ReadCloser, error) {
	if stream != fileStdout && stream != fileStderr {
		return nil, fmt.Errorf("a local run has no %s: %w", stream, runtime.ErrLogNotFound)
	}
	f, err := os.Open(filepath.Join(rundir.Path(r.opts.Dir, run), stream))
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%s of %s: %w", stream, runtime.Key(run.VirtualClusterID, run.ID), runtime.ErrLogNotFound)
	}
	if err != nil {
		return nil, err
	}
	return f, nil
}

// CollectLogs implements runtime.LogCollector: it ships what is left of
// the stdout and stderr of the run's current attempt (Options.Ship), puts
// them (the last runtime.MaxArchivedLog bytes of each) into
// Options.Archive, and its Spark event log into Options.EventLogs. The
// files stay in the run folder.
func (r *Runtime) CollectLogs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	dir := rundir.Path(r.opts.Dir, run)
	errs := []error{r.keepEventLog(ctx, run)}
	if _, err := os.Stat(filepath.Join(dir, fileStdout)); err == nil {
		errs = append(errs, r.finishShipping(ctx, run, dir))
	}
	if r.opts.Archive == nil {
		return errors.Join(errs...)
	}
	for _, stream := range []string{fileStdout, fileStderr} {
		data, err := readTail(filepath.Join(dir, stream))
		if errors.Is(err, os.ErrNotExist) {
			continue // never started
		}
		if err == nil {
			err = r.opts.Archive.PutJobRunLog(ctx, run.VirtualClusterID, run.ID, run.Attempt(), stream, data)
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("archive %s: %w", stream, err))
		}
	}
	return errors.Join(errs...)
}

// readTail returns the last runtime.MaxArchivedLog bytes of the file at path.
func readTail(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > runtime.MaxArchivedLog {
		if _, err := f.Seek(-runtime.MaxArchivedLog, io.SeekEnd); err != nil {
			return nil, err
		}
	}
	return runtime.ReadTail(f, runtime.MaxArchivedLog)
}

// driverStarted is the log line Spark writes once the SparkContext (the
// driver) is up: the run is RUNNING from then on.
var driverStarted = []byte("SparkContext: Running Spark version")

// failureSummary explains why a run failed from the end of its logs (see
// runtime.FailureSummary): the exception a PySpark driver printed
// (spark-submit sends Python's traceback to stdout), else the last error
// line of stderr (a JVM exception, a Spark ERROR), else the last line of
// stderr.
func failureSummary(dir string) string {
	var logs []io.Reader
	for _, stream := range []string{fileStdout, fileStderr} {
		f, err := openTail(filepath.Join(dir, stream), runtime.FailureTail)
		if err != nil {
			logs = append(logs, nil)
			continue
		}
		defer f.Close()
		logs = append(logs, f)
	}
	return runtime.FailureSummary(logs...)
}

// openTail opens the file at path positioned at its last n bytes.
func openTail(path string, n int64) (*os.File, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	if st, err := f.Stat(); err == nil && st.Size() > n {
		if _, err := f.Seek(-n, io.SeekEnd); err != nil {
			f.Close()
			return nil, err
		}
	}
	return f, nil
}

// watchForMarker reads the file at path as it grows until it contains
// driverStarted (true) or until stop is closed and the file is read to its
// end without it (false).
func watchForMarker(path string, stop <-chan struct{}) bool {
	var f *os.File
	for f == nil {
		var err error
		if f, err = os.Open(path); err != nil {
			select {
			case <-stop:
				return false
			case <-time.After(followInterval):
			}
		}
	}
	defer f.Close()
	buf := make([]byte, 32<<10)
	var window []byte // unmatched end of what was read, so a marker split across reads is found
	for {
		n, err := f.Read(buf)
		if n > 0 {
			window = append(window, buf[:n]...)
			if bytes.Contains(window, driverStarted) {
				return true
			}
			if keep := len(driverStarted); len(window) > keep {
				window = append(window[:0], window[len(window)-keep:]...)
			}
			continue
		}
		if err != nil && err != io.EOF {
			return false
		}
		select {
		case <-stop:
			// One more pass: the process may have written its last lines just before it ended.
			rest, _ := io.ReadAll(f)
			return bytes.Contains(append(window, rest...), driverStarted)
		case <-time.After(followInterval):
		}
	}
}

// followInterval is how often a growing log file is read again.
const followInterval = 100 * time.Millisecond
