package e2e

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// startS3 starts an S3-compatible server with a bucket "code" and a
// sparkplane server whose runs read it with its credentials (the S3
// default: the test's execution role maps none of its own).
func startS3(t *testing.T) (*s3env.Server, *server) {
	t.Helper()
	srv := s3env.Start(t)
	srv.CreateBucket("code")
	s := startServerWith(t, "", func(c *config.Config) { c.S3 = srv.Config() })
	return srv, s
}

// TestCodeFromS3: a PySpark job whose entry point and a --py-files zip
// (a module it imports, on the driver and in tasks) are in S3 completes.
func TestCodeFromS3(t *testing.T) {
	srv, s := startS3(t)
	var zipped bytes.Buffer
	zw := zip.NewWriter(&zipped)
	w, err := zw.Create("greeting.py")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte("def hello(n):\n    return 'hello from s3 zip %d' % n\n"))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	srv.Put("code", "libs/deps.zip", zipped.Bytes())
	srv.Put("code", "jobs/app.py", []byte(`
from pyspark.sql import SparkSession
import greeting
spark = SparkSession.builder.appName("s3code").getOrCreate()
print(greeting.hello(1))
print(spark.sparkContext.parallelize([2]).map(greeting.hello).collect()[0])
spark.stop()
`))
	vc := createVC(t, s.Client, "e2e", "default")
	id := startJob(t, s.Client, vc, "s3code", "s3://code/jobs/app.py", "--py-files s3a://code/libs/deps.zip --conf spark.executor.instances=1")
	run, _ := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	if run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED; stderr:\n%s", run.State, aws.ToString(run.StateDetails), lastN(getLog(t, s.URL, vc, id, "stderr"), 30))
	}
	out := getLog(t, s.URL, vc, id, "stdout")
	for _, want := range []string{"hello from s3 zip 1", "hello from s3 zip 2"} {
		if !strings.Contains(out, want) {
			t.Errorf("stdout lacks %q:\n%s", want, out)
		}
	}
}

// TestMissingCodeInS3Fails: an entry point whose object does not exist
// fails the run with S3's error.
func TestMissingCodeInS3Fails(t *testing.T) {
	_, s := startS3(t)
	vc := createVC(t, s.Client, "e2e", "default")
	id := startJob(t, s.Client, vc, "missing", "s3://code/jobs/none.py", "")
	run, _ := waitFor(t, s.Client, vc, id, time.Minute, terminal)
	if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonUserError {
		t.Fatalf("state %s reason %s (%s), want FAILED USER_ERROR", run.State, run.FailureReason, aws.ToString(run.StateDetails))
	}
	if d := aws.ToString(run.StateDetails); d != "s3://code/jobs/none.py: NoSuchKey: The specified key does not exist." {
		t.Errorf("stateDetails %q, want S3's NoSuchKey", d)
	}
}
