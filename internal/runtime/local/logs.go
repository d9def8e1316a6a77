package local

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"
)

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
