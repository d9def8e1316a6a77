package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// chattyApp prints argv[1] numbered lines to stdout and as many to stderr
// (which PySpark's driver sends to spark-submit's stdout), in a Spark job.
const chattyApp = `
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("chatty").getOrCreate()
n = int(sys.argv[1])
print("SUM %d" % spark.sparkContext.parallelize(range(n), 2).sum(), flush=True)
for i in range(n):
    print("stdout line %05d of a chatty job" % i, flush=True)
    sys.stderr.write("stderr line %05d of a chatty job\n" % i)
spark.stop()
`

// TestLogsShippedToS3Local: two runs of the local runtime with
// s3MonitoringConfiguration ship their driver's stdout and stderr, gzipped,
// to EMR's keys under the logUri (the bucket is the execution role's S3
// user's; the server has no default credentials): one run without
// rotation leaves stdout.gz and stderr.gz whole; a chatty one (over 10 KB
// per stream) with rotationSize 2KB and maxFilesToKeep 3 leaves exactly 3
// files per stream, the log's end. Then a second server on the same data
// directory, with the run folders' files removed, serves both runs' logs
// from S3 through the logs endpoint and the CLI, by container too.
func TestLogsShippedToS3Local(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Spark")
	}
	srv := s3env.Start(t)
	creds := srv.AddUser("logs")
	srv.CreateBucketFor("logbucket", creds)
	c := srv.Client(creds)
	const role = "arn:aws:iam::123456789012:role/emr-job"
	file := srv.CredentialsFile(creds)
	edit := func(cfg *config.Config) {
		cfg.S3 = config.S3{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true}
		cfg.Security.ExecutionRoles = []config.ExecutionRole{{ARN: role, CredentialsFile: file}}
	}
	s := startServerWith(t, "", edit)
	vc := createVC(t, s.Client, "s3-logs", "default")
	app := writeApp(t, "chatty.py", chattyApp)
	plain := startLoggedJob(t, s.Client, vc, app, "20", nil)
	chatty := startLoggedJob(t, s.Client, vc, app, "400", &types.ContainerLogRotationConfiguration{RotationSize: aws.String("2KB"), MaxFilesToKeep: aws.Int32(3)})
	// While it runs, its driver is listed and its log read by name.
	run, _ := waitFor(t, s.Client, vc, chatty, 3*time.Minute, func(st types.JobRunState) bool { return st == types.JobRunStateRunning || terminal(st) })
	if run.State == types.JobRunStateRunning {
		var listed struct {
			Containers []struct{ Name, Location string }
		}
		getJSON(t, s.URL+"/sparkplane/v1/virtualclusters/"+vc+"/jobruns/"+chatty+"/containers", &listed)
		if len(listed.Containers) != 1 || listed.Containers[0].Name != "spark-"+chatty+"-driver" {
			t.Errorf("containers of a running run: %+v", listed.Containers)
		}
		resp, err := http.Get(s.URL + "/sparkplane/v1/virtualclusters/" + vc + "/jobruns/" + chatty + "/logs/stderr?container=spark-" + chatty + "-driver")
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Errorf("the running driver's stderr by name: %v %v", resp, err)
		}
		if resp != nil {
			resp.Body.Close()
		}
	}
	waitCompleted(t, s, vc, plain)
	waitCompleted(t, s, vc, chatty)

	for _, id := range []string{plain, chatty} {
		dir := "emr/" + vc + "/jobs/" + id + "/"
		keys := listKeys(t, c, "logbucket", dir)
		driver := dir + "containers/local-" + id + "/spark-" + id + "-driver/"
		var stdout, stderr []string
		for _, k := range keys {
			switch {
			case strings.HasPrefix(k, dir+"sparklogs/"): // the Spark event log (persistentAppUI)
			case strings.HasPrefix(k, driver+"stdout"):
				stdout = append(stdout, k)
			case strings.HasPrefix(k, driver+"stderr"):
				stderr = append(stderr, k)
			default:
				t.Errorf("run %s: unexpected object %s", id, k)
			}
		}
		want := 1
		if id == chatty {
			want = 3
		}
		if len(stdout) != want || len(stderr) != want || !slices.Contains(keys, driver+"stdout.gz") || !slices.Contains(keys, driver+"stderr.gz") {
			t.Fatalf("run %s: objects %v; want %d stdout and %d stderr files with stdout.gz and stderr.gz", id, keys, want, want)
		}
		for _, k := range stdout {
			if k != driver+"stdout.gz" && !strings.HasPrefix(strings.TrimPrefix(k, driver), "stdout_") {
				t.Errorf("rotated file %s is not named stdout_<date>_<index>.gz", k)
			}
		}
		out := gunzipObject(t, c, "logbucket", driver+"stdout.gz")
		if id == plain && (!strings.Contains(out, "SUM 190\n") || !strings.Contains(out, "stdout line 00019")) {
			t.Errorf("stdout.gz of %s:\n%s", id, out)
		}
		if id == chatty && (!strings.Contains(out, "stdout line 00399 of a chatty job\n") || len(out) > 2048) {
			t.Errorf("the current stdout.gz of %s (%d bytes) is not the log's last piece:\n%s", id, len(out), out)
		}
	}

	// Another server, on the same store, without the run folders' logs.
	s.Stop()
	for _, id := range []string{plain, chatty} {
		for _, f := range []string{"stdout", "stderr"} {
			paths, _ := filepath.Glob(filepath.Join(s.DataDir, "runs", vc, id+"*", f))
			for _, p := range paths {
				if err := os.Remove(p); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	s2 := startServerWith(t, s.DataDir, edit)
	if out := getLog(t, s2.URL, vc, chatty, "stdout"); !strings.Contains(out, "stdout line 00399 of a chatty job\n") || strings.Contains(out, "stdout line 00000 ") || len(out) < 4096 {
		t.Errorf("stdout of the chatty run from S3 (%d bytes): not its last 3 pieces:\n%s", len(out), out)
	}
	if out := getLog(t, s2.URL, vc, plain, "stdout"); !strings.Contains(out, "SUM 190") || !strings.Contains(out, "stdout line 00019") {
		t.Errorf("stdout of the plain run from S3:\n%s", out)
	}
	var listed struct {
		Containers []struct {
			Name, Role, SparkApplicationID, Location string
			Streams                                  []string
		}
	}
	getJSON(t, s2.URL+"/sparkplane/v1/virtualclusters/"+vc+"/jobruns/"+plain+"/containers", &listed)
	if len(listed.Containers) != 1 || listed.Containers[0].Name != "spark-"+plain+"-driver" || listed.Containers[0].Role != "driver" ||
		listed.Containers[0].SparkApplicationID != "local-"+plain || !slices.Equal(listed.Containers[0].Streams, []string{"stderr", "stdout"}) {
		t.Errorf("containers of %s: %+v", plain, listed.Containers)
	}
	out, errOut, code := runCLI(t, "logs", "--endpoint-url", s2.URL, "--container", "spark-"+plain+"-driver", "--stream", "stderr", vc, plain)
	if code != 0 || !strings.Contains(out, "INFO SparkContext: Successfully stopped SparkContext") {
		t.Errorf("sparkplane logs --container: %d\n%s\n%s", code, out, errOut)
	}
	out, errOut, code = runCLI(t, "logs", "--endpoint-url", s2.URL, "--list", vc, chatty)
	if code != 0 || !strings.Contains(out, "spark-"+chatty+"-driver") || !strings.Contains(out, "s3://logbucket/emr/"+vc+"/jobs/"+chatty+"/containers/local-"+chatty+"/") {
		t.Errorf("sparkplane logs --list: %d\n%s\n%s", code, out, errOut)
	}
}

// startLoggedJob starts app with argument n, its logs shipped to
// s3://logbucket/emr/, rotated by rot (nil: not rotated).
func startLoggedJob(t *testing.T, c *emrcontainers.Client, vcID, app, n string, rot *types.ContainerLogRotationConfiguration) string {
	t.Helper()
	out, err := c.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vcID),
		Name:             aws.String("logged"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
		ReleaseLabel:     aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(app),
			EntryPointArguments:   []string{n},
			SparkSubmitParameters: aws.String("--conf spark.executor.instances=1 --conf spark.driver.memory=512m"),
		}},
		ConfigurationOverrides: &types.ConfigurationOverrides{MonitoringConfiguration: &types.MonitoringConfiguration{
			S3MonitoringConfiguration:         &types.S3MonitoringConfiguration{LogUri: aws.String("s3://logbucket/emr/")},
			ContainerLogRotationConfiguration: rot,
		}},
	})
	if err != nil {
		t.Fatalf("StartJobRun: %v", err)
	}
	return aws.ToString(out.Id)
}

// listKeys lists the keys under prefix.
func listKeys(t *testing.T, c *s3.Client, bucket, prefix string) []string {
	t.Helper()
	out, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatalf("list s3://%s/%s: %v", bucket, prefix, err)
	}
	var keys []string
	for _, o := range out.Contents {
		keys = append(keys, aws.ToString(o.Key))
	}
	return keys
}

// gunzipObject reads a gzipped object.
func gunzipObject(t *testing.T, c *s3.Client, bucket, key string) string {
	t.Helper()
	out, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	raw, _ := io.ReadAll(out.Body)
	z, err := gzip.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("s3://%s/%s is not gzipped: %v", bucket, key, err)
	}
	b, err := io.ReadAll(z)
	if err != nil {
		t.Fatalf("s3://%s/%s: %v", bucket, key, err)
	}
	return string(b)
}
