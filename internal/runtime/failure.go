package runtime

import (
	"bufio"
	"bytes"
	"io"
	"regexp"
	"strings"
	"unicode/utf8"
)

// FailureTail is how much of the end of a failed application's log
// FailureSummary reads to explain the failure.
const FailureTail = 64 << 10

// MaxFailureDetail bounds the explanation FailureSummary returns (it goes
// into a run's stateDetails).
const MaxFailureDetail = 1024

// sparkLogLine matches Spark's own log4j lines below ERROR
// ("25/01/02 10:11:12 INFO …").
var sparkLogLine = regexp.MustCompile(`^\d{2}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} (INFO|WARN|DEBUG|TRACE) `)

// errorWords are what an error line of a failed application contains
// (the same test EMR's job runner applies: K8S_SPARK_LOG_ERROR_REGEX).
var errorWords = regexp.MustCompile(`(Error|Exception|Fail)`)

// shutdownNoise are errors Spark logs while it stops after an application
// failed (its RPC endpoints already gone): never the cause, nor what
// replaces it.
var shutdownNoise = regexp.MustCompile(`Could not find CoarseGrainedScheduler|RpcEnvStoppedException`)

// FailureSummary explains why a Spark application failed from the end of
// its logs, given in the order they are searched (a local run's stdout,
// where spark-submit sends a PySpark driver's traceback, then its stderr;
// a pod's one log): the last line of the first log that reads like the
// cause of a failure (a JVM exception such as "Exception in thread "main"
// java.io.FileNotFoundException: No such file or directory: s3a://…", a
// Python exception, a Spark ERROR), else the last line of the last log
// that is not one of Spark's INFO/WARN lines. A JVM exception's "Caused
// by:" lines do not replace the exception they explain: its first line
// names the object (the s3a:// URI), its causes often only the status. At
// most MaxFailureDetail bytes; "" when the logs say nothing.
func FailureSummary(logs ...io.Reader) string {
	var last string
	for _, l := range logs {
		var cause string
		cause, last = lastCause(l)
		if cause != "" {
			return bound(cause)
		}
	}
	return bound(last)
}

// lastCause returns the last line of the log's tail that reads like the
// cause of a failure, and the last line that is not a Spark log line.
func lastCause(log io.Reader) (cause, last string) {
	if log == nil {
		return "", ""
	}
	data, err := ReadTail(log, FailureTail)
	if err != nil && len(data) == 0 {
		return "", ""
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), FailureTail+1)
	inTrace := false // the lines after cause belong to its stack trace
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || sparkLogLine.MatchString(line) {
			continue
		}
		last = line
		switch {
		case strings.HasPrefix(line, "at ") || strings.HasPrefix(line, "... ") && strings.HasSuffix(line, " more"):
			// a JVM stack frame
		case shutdownNoise.MatchString(line):
			inTrace = true // the cause stays; the noise's own causes are skipped
		case strings.HasPrefix(line, "Caused by:") || strings.HasPrefix(line, "Suppressed:"):
			if !inTrace {
				cause, inTrace = line, true
			}
		case strings.HasPrefix(line, "File ") || strings.HasPrefix(line, "Traceback "):
			inTrace = false // a Python traceback: its exception comes last
		case errorWords.MatchString(line):
			cause, inTrace = line, true
		default:
			inTrace = false
		}
	}
	return cause, last
}

// bound cuts s to MaxFailureDetail bytes on a character boundary.
func bound(s string) string {
	if len(s) <= MaxFailureDetail {
		return s
	}
	cut := MaxFailureDetail - len("…")
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	return s[:cut] + "…"
}
