package local

import (
	"bufio"
	"bytes"
	"io"
	"os"
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

// failureSummary returns the last line of the stderr file that reads like
// the cause of a failure (a Python or Java exception, an error), or the last
// non-empty line when none does.
func failureSummary(path string) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	if st, err := f.Stat(); err == nil && st.Size() > tailSize {
		if _, err := f.Seek(-tailSize, io.SeekEnd); err != nil {
			return ""
		}
	}
	data, _ := io.ReadAll(f)
	var cause, last string
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || sparkLogLine.MatchString(line) {
			continue
		}
		last = line
		if errorWords.MatchString(line) && !strings.HasPrefix(line, "at ") && !strings.HasPrefix(line, "File ") {
			cause = line
		}
	}
	if cause != "" {
		return cause
	}
	return last
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
