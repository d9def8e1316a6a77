package devcluster

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/s3server"
)

// devS3 is a client of the embedded cluster's S3 server with its keys.
func devS3(t testing.TB) *s3.Client {
	t.Helper()
	creds, err := s3server.ReadCredentialsFile(layout.S3CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	return s3.New(s3.Options{Region: config.DevS3Region, BaseEndpoint: aws.String(fmt.Sprintf("http://127.0.0.1:%d", config.DefaultDevS3Port)),
		UsePathStyle: true, Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
}

// TestContainerLogsShippedToS3: the tutorial's pi.py with two executors and
// s3MonitoringConfiguration on the dev S3 bucket. Once it is COMPLETED and
// Spark has deleted its executor pods, every container of the run — the job
// runner, the driver and both executors — has stdout.gz and stderr.gz at
// EMR's keys (control-logs/<job runner pod>/, containers/<Spark app
// id>/<pod>/), the driver's with the job's result and each executor's with
// its own log; `sparkplane logs` lists the four and prints an executor's,
// as it did live while the run ran.
func TestContainerLogsShippedToS3(t *testing.T) {
	const ns = "s3-logs"
	vc := devVC(t, ns)
	logURI := "s3://" + config.DevS3Bucket + "/emr-logs/"
	var run struct{ ID string }
	awsCLI(t, &run, "start-job-run", "--virtual-cluster-id", vc, "--name", "pi-logs",
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job", "--release-label", "emr-7.2.0-latest",
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+piEntryPoint+`","sparkSubmitParameters":"`+piParams+`"}}`,
		"--configuration-overrides", `{"monitoringConfiguration":{"s3MonitoringConfiguration":{"logUri":"`+logURI+`"}}}`)
	id := run.ID
	pods := watchRun(t, ns, id)
	// While it runs, its executors are listed, and their logs read, live.
	var liveExec string
	for deadline := time.Now().Add(5 * time.Minute); liveExec == "" && time.Now().Before(deadline); time.Sleep(300 * time.Millisecond) {
		out, err := sdk().DescribeJobRun(t.Context(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vc, Id: &id})
		if err != nil || terminal(out.JobRun.State) {
			break
		}
		list, err := sparkplane(time.Minute, "logs", "--endpoint-url", srv.URL, "--list", vc, id)
		if err != nil {
			continue // nothing listed yet
		}
		for line := range strings.Lines(list) {
			if f := strings.Fields(line); len(f) > 1 && f[1] == "executor" {
				log, err := sparkplane(time.Minute, "logs", "--endpoint-url", srv.URL, "--container", f[0], "--stream", "stdout", vc, id)
				if err == nil && strings.Contains(log, "CoarseGrainedExecutorBackend") {
					liveExec = f[0]
				}
			}
		}
	}
	if liveExec == "" {
		t.Error("no executor's log was read while the run ran")
	}
	jr := waitState(t, vc, id, 5*time.Minute, terminal)
	if jr.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED\njob runner:\n%s", jr.State, aws.ToString(jr.StateDetails), runLog(t, vc, id, "job-runner"))
	}
	drivers, executors, runners := pods.byRole("driver"), pods.byRole("executor"), pods.byRole("job-runner")
	if len(drivers) != 1 || len(executors) != 2 || len(runners) != 1 {
		t.Fatalf("pods seen: %d drivers, %d executors, %d job runners; want 1, 2, 1", len(drivers), len(executors), len(runners))
	}
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(time.Second) {
		live := livePods(t, ns, id)
		if !slices.ContainsFunc(live, func(p string) bool { return strings.Contains(p, "-exec-") }) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("Spark did not delete the executor pods: %v", live)
		}
	}

	c := devS3(t)
	prefix := "emr-logs/" + vc + "/jobs/" + id + "/"
	out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(config.DevS3Bucket), Prefix: aws.String(prefix)})
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, o := range out.Contents {
		if k := strings.TrimPrefix(aws.ToString(o.Key), prefix); !strings.HasPrefix(k, "sparklogs/") { // the event log (persistentAppUI)
			keys = append(keys, k)
		}
	}
	appID := drivers[0].Labels["spark-app-selector"]
	if appID == "" {
		t.Fatalf("driver pod %s has no spark-app-selector label", drivers[0].Name)
	}
	dirs := map[*corev1.Pod]string{runners[0]: "control-logs/" + runners[0].Name + "/", drivers[0]: "containers/" + appID + "/" + drivers[0].Name + "/"}
	for _, e := range executors {
		dirs[e] = "containers/" + appID + "/" + e.Name + "/"
	}
	var want []string
	for _, d := range dirs {
		want = append(want, d+"stderr.gz", d+"stdout.gz")
	}
	slices.Sort(want)
	slices.Sort(keys)
	if !slices.Equal(keys, want) {
		t.Fatalf("objects under s3://%s/%s:\n%v\nwant\n%v", config.DevS3Bucket, prefix, keys, want)
	}
	read := func(key string) string {
		t.Helper()
		o, err := c.GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(config.DevS3Bucket), Key: aws.String(prefix + key)})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Body.Close()
		raw, _ := io.ReadAll(o.Body)
		z, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("%s is not gzipped: %v", key, err)
		}
		b, err := io.ReadAll(z)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return string(b)
	}
	if s := read(dirs[drivers[0]] + "stdout.gz"); !strings.Contains(s, "Pi is roughly") {
		t.Errorf("the driver's stdout.gz lacks the result:\n%s", s)
	}
	if s := read(dirs[runners[0]] + "stdout.gz"); !strings.Contains(s, drivers[0].Name) {
		t.Errorf("the job runner's stdout.gz does not name the driver pod:\n%s", s)
	}
	for _, e := range executors {
		if s := read(dirs[e] + "stdout.gz"); !strings.Contains(s, "CoarseGrainedExecutorBackend") {
			t.Errorf("executor %s's stdout.gz is not its log:\n%s", e.Name, s)
		}
	}

	list, err := sparkplane(time.Minute, "logs", "--endpoint-url", srv.URL, "--list", vc, id)
	if err != nil || strings.Count(list, "s3://"+config.DevS3Bucket+"/"+prefix) != 4 {
		t.Errorf("sparkplane logs --list: %v\n%s", err, list)
	}
	exec, err := sparkplane(time.Minute, "logs", "--endpoint-url", srv.URL, "--container", executors[1].Name, "--stream", "stdout", vc, id)
	if err != nil || !strings.Contains(exec, "CoarseGrainedExecutorBackend") {
		t.Errorf("sparkplane logs --container %s: %v\n%s", executors[1].Name, err, exec)
	}
}

// chattyMain prints 400 numbered lines (13 KB) from a Spark job.
const chattyMain = `
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("chatty").getOrCreate()
print("SUM %d" % spark.sparkContext.parallelize(range(100), 2).sum(), flush=True)
for i in range(400):
    print("line %05d of a chatty job" % i, flush=True)
spark.stop()
`

// TestContainerLogsRotatedOnTheEmbeddedCluster: a chatty job (its entry
// point in the dev S3 bucket) with rotationSize 2KB and maxFilesToKeep 3:
// the driver's and the job runner's stdout (the pod log: over 6 KB each)
// keep exactly 3 files, stdout.gz and 2 rotated ones named
// stdout_<date>_<index>.gz, the driver's current one ending the job's
// output; stderr.gz alone (Kubernetes serves the pod's log as one stream).
func TestContainerLogsRotatedOnTheEmbeddedCluster(t *testing.T) {
	c := devS3(t)
	const key = "s3logs/chatty.py"
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(config.DevS3Bucket), Key: aws.String(key),
		Body: strings.NewReader(chattyMain)}); err != nil {
		t.Fatal(err)
	}
	const ns = "s3-logs-rotated"
	vc := devVC(t, ns)
	// The Go SDK: Debian's AWS CLI predates containerLogRotationConfiguration.
	started, err := sdk().StartJobRun(t.Context(), &emrcontainers.StartJobRunInput{VirtualClusterId: &vc, Name: aws.String("chatty"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String("s3://" + config.DevS3Bucket + "/" + key), SparkSubmitParameters: aws.String("--conf spark.executor.instances=1")}},
		ConfigurationOverrides: &types.ConfigurationOverrides{MonitoringConfiguration: &types.MonitoringConfiguration{
			S3MonitoringConfiguration:         &types.S3MonitoringConfiguration{LogUri: aws.String("s3://" + config.DevS3Bucket + "/rotated-logs")},
			ContainerLogRotationConfiguration: &types.ContainerLogRotationConfiguration{RotationSize: aws.String("2KB"), MaxFilesToKeep: aws.Int32(3)}}}})
	if err != nil {
		t.Fatal(err)
	}
	id := *started.Id
	pods := watchRun(t, ns, id)
	if jr := waitState(t, vc, id, 5*time.Minute, terminal); jr.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED\njob runner:\n%s", jr.State, aws.ToString(jr.StateDetails), runLog(t, vc, id, "job-runner"))
	}
	drivers, runners := pods.byRole("driver"), pods.byRole("job-runner")
	if len(drivers) != 1 || len(runners) != 1 {
		t.Fatalf("pods seen: %d drivers, %d job runners", len(drivers), len(runners))
	}
	prefix := "rotated-logs/" + vc + "/jobs/" + id + "/"
	for _, dir := range []string{"control-logs/" + runners[0].Name + "/", "containers/" + drivers[0].Labels["spark-app-selector"] + "/" + drivers[0].Name + "/"} {
		out, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String(config.DevS3Bucket), Prefix: aws.String(prefix + dir)})
		if err != nil {
			t.Fatal(err)
		}
		var stdout, stderr []string
		for _, o := range out.Contents {
			name := strings.TrimPrefix(aws.ToString(o.Key), prefix+dir)
			if strings.HasPrefix(name, "stdout") {
				stdout = append(stdout, name)
			} else {
				stderr = append(stderr, name)
			}
		}
		date := drivers[0].CreationTimestamp.UTC().Format("20060102")
		if strings.HasPrefix(dir, "control-logs/") {
			date = runners[0].CreationTimestamp.UTC().Format("20060102")
		}
		if len(stdout) != 3 || !slices.Contains(stdout, "stdout.gz") || !slices.Equal(stderr, []string{"stderr.gz"}) {
			t.Errorf("%s holds %v and %v; want stdout.gz with 2 rotated files, and stderr.gz", dir, stdout, stderr)
		}
		for _, n := range stdout {
			if n != "stdout.gz" && !strings.HasPrefix(n, "stdout_"+date+"_") {
				t.Errorf("%s: rotated file %s is not stdout_%s_<index>.gz", dir, n, date)
			}
		}
	}
	list, err := sparkplane(time.Minute, "logs", "--endpoint-url", srv.URL, "--container", drivers[0].Name, "--stream", "stdout", vc, id)
	if err != nil || !strings.Contains(list, "line 00399 of a chatty job") || strings.Contains(list, "line 00000 of") {
		t.Errorf("the driver's kept stdout through sparkplane logs: %v\n%s", err, list)
	}
}
