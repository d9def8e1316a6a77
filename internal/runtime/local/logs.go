package local

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
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

// CollectLogs implements runtime.LogCollector: it puts the stdout and
// stderr of the run's current attempt (the last runtime.MaxArchivedLog
// bytes of each) into Options.Archive. The files stay in the run folder.
func (r *Runtime) CollectLogs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	if r.opts.Archive == nil {
		return nil
	}
	dir := rundir.Path(r.opts.Dir, run)
	var errs []error
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

// sparkLogLine matches Spark's own log4j lines ("25/01/02 10:11:12 INFO …").
var sparkLogLine = regexp.MustCompile(`^\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} (INFO|WARN|DEBUG|TRACE) `)

// errorWords are what an error line of a failed application contains
// (the same test EMR's job runner applies: K8S_SPARK_LOG_ERROR_REGEX).
var errorWords = regexp.MustCompile(`(Error|Exception|Fail)`)

// tailSize is how much of the end of stderr is read to explain a failure.
const tailSize = 64 << 10

// failureSummary explains why a run failed from the end of its logs: the
// exception a PySpark driver printed (spark-submit sends Python's traceback to
// stdout), else the last error line of stderr (a JVM exception, a Spark
// ERROR), else the last line of stderr.
func failureSummary(dir string) string {
	if cause, _ := lastCause(filepath.Join(dir, fileStdout)); cause != "" {
		return cause
	}
	cause, last := lastCause(filepath.Join(dir, fileStderr))
	if cause != "" {
		return cause
	}
	return last
}

// lastCause returns the last line of the file's tail that reads like the
// cause of a failure, and the last non-log line.
func lastCause(path string) (cause, last string) {
	f, err := os.Open(path)
	if err != nil {
		return "", ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > tailSize {
		if _, err := f.Seek(-tailSize, io.SeekEnd); err != nil {
			return "", ""
		}
	}
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || sparkLogLine.MatchString(line) {
			continue
		}
		last = line
		if errorWords.MatchString(line) && !strings.HasPrefix(line, "at ") && !strings.HasPrefix(line, "File ") &&
			!strings.HasPrefix(line, "Traceback ") {
			cause = line
		}
	}
	return cause, last
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
