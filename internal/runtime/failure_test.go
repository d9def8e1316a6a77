package runtime

import (
	"io"
	"strings"
	"testing"
)

// Sample logs of failed Spark applications: what spark-submit, a driver
// pod or a PySpark driver print, and the line stateDetails must carry.
func TestFailureSummaryFindsTheCause(t *testing.T) {
	for _, tc := range []struct {
		name string
		logs []string
		want string
	}{
		{"missing s3a entry point", []string{`25/01/02 10:11:12 INFO SparkContext: Running Spark version 3.5.7
25/01/02 10:11:13 WARN MetricsConfig: Cannot locate configuration
Exception in thread "main" java.io.FileNotFoundException: No such file or directory: s3a://bucket/missing.py
	at org.apache.hadoop.fs.s3a.S3AFileSystem.s3GetFileStatus(S3AFileSystem.java:3866)
	at org.apache.hadoop.fs.s3a.S3AFileSystem.innerGetFileStatus(S3AFileSystem.java:3688)
	at org.apache.spark.deploy.SparkSubmit.main(SparkSubmit.scala)
25/01/02 10:11:14 INFO ShutdownHookManager: Shutdown hook called
`}, `Exception in thread "main" java.io.FileNotFoundException: No such file or directory: s3a://bucket/missing.py`},
		{"denied s3a read: the exception, not its cause", []string{`Exception in thread "main" java.nio.file.AccessDeniedException: s3a://private/app.py: getFileStatus on s3a://private/app.py: software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, Status Code: 403):AccessDenied 403 Forbidden
	at org.apache.hadoop.fs.s3a.S3AUtils.translateException(S3AUtils.java:255)
Caused by: software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, Status Code: 403)
	at software.amazon.awssdk.services.s3.DefaultS3Client.headObject(DefaultS3Client.java:5438)
	... 30 more
`}, `Exception in thread "main" java.nio.file.AccessDeniedException: s3a://private/app.py: getFileStatus on s3a://private/app.py: software.amazon.awssdk.services.s3.model.S3Exception: Access Denied (Service: S3, Status Code: 403):AccessDenied 403 Forbidden`},
		{"Spark's shutdown noise after the exception", []string{`Traceback (most recent call last):
  File "/tmp/fail.py", line 4, in <module>
    raise RuntimeError("intentional failure")
RuntimeError: intentional failure
26/12/05 12:30:41 ERROR Inbox: Ignoring error
org.apache.spark.SparkException: Could not find CoarseGrainedScheduler.
	at org.apache.spark.rpc.netty.Dispatcher.postMessage(Dispatcher.scala:178)
Caused by: org.apache.spark.rpc.RpcEnvStoppedException: RpcEnv already stopped.
26/12/05 12:30:41 INFO ShutdownHookManager: Shutdown hook called
`}, "RuntimeError: intentional failure"},
		{"python traceback", []string{`Traceback (most recent call last):
  File "/tmp/app.py", line 3, in <module>
    raise ValueError("bad input")
ValueError: bad input
25/01/02 10:11:14 INFO ShutdownHookManager: Shutdown hook called
`}, "ValueError: bad input"},
		{"python on stdout wins over stderr", []string{"Traceback (most recent call last):\n  File \"a.py\", line 1\nZeroDivisionError: division by zero\n",
			"25/01/02 10:11:14 ERROR SparkContext: Error initializing SparkContext.\n"}, "ZeroDivisionError: division by zero"},
		{"a later exception replaces an earlier one", []string{`25/01/02 10:11:12 ERROR SparkContext: Error initializing SparkContext.
java.lang.IllegalArgumentException: bad master
	at org.apache.spark.SparkContext.<init>(SparkContext.scala:1)
`}, "java.lang.IllegalArgumentException: bad master"},
		{"only a cause", []string{"Caused by: java.net.ConnectException: Connection refused\n"}, "Caused by: java.net.ConnectException: Connection refused"},
		{"no error line: the last line", []string{"", "25/01/02 10:11:12 INFO X: y\nkilled by signal 9\n"}, "killed by signal 9"},
		{"nothing", []string{"", ""}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs []io.Reader
			for _, l := range tc.logs {
				logs = append(logs, strings.NewReader(l))
			}
			if got := FailureSummary(logs...); got != tc.want {
				t.Errorf("got %q\nwant %q", got, tc.want)
			}
		})
	}
}

func TestFailureSummaryIsBounded(t *testing.T) {
	long := "java.lang.RuntimeException: " + strings.Repeat("é", 2000)
	got := FailureSummary(strings.NewReader("x\n" + long + "\n"))
	if len(got) > MaxFailureDetail || !strings.HasPrefix(got, "java.lang.RuntimeException: é") || !strings.HasSuffix(got, "…") {
		t.Errorf("got %d bytes: %q…", len(got), got[:40])
	}
	if got := FailureSummary(nil, strings.NewReader("boom Error\n")); got != "boom Error" {
		t.Errorf("a missing log: got %q", got)
	}
}
