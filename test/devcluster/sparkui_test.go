package devcluster

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/s3server"
)

// threeJobs runs three Spark jobs, each over two partitions.
const threeJobs = `from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
for i in range(3):
    print("sum", i, sc.parallelize(range(1000), 2).map(lambda x: x * x).sum())
spark.stop()
`

// TestSparkUIOnTheEmbeddedCluster: a Kubernetes run's driver writes its
// event log through S3A to the server's event-log location on the dev S3
// bucket (the run has no logUri); after the run's Job and pods are gone,
// `sparkplane ui` serves the application through Apache Spark's History
// Server, whose REST API lists its three jobs SUCCEEDED, its stages and
// its driver and two executors.
func TestSparkUIOnTheEmbeddedCluster(t *testing.T) {
	creds, err := s3server.ReadCredentialsFile(layout.S3CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	c := s3.New(s3.Options{Region: config.DevS3Region, BaseEndpoint: aws.String(fmt.Sprintf("http://127.0.0.1:%d", config.DefaultDevS3Port)),
		UsePathStyle: true, Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	ctx := t.Context()
	if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(config.DevS3Bucket), Key: aws.String("sparkui/three_jobs.py"),
		Body: bytes.NewReader([]byte(threeJobs))}); err != nil {
		t.Fatal(err)
	}
	const ns = "sparkui"
	vc := devVC(t, ns)
	id := startRun(t, vc, "three-jobs", "s3://"+config.DevS3Bucket+"/sparkui/three_jobs.py", piParams)
	if run := waitState(t, vc, id, 5*time.Minute, terminal); run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED\ndriver:\n%s", run.State, aws.ToString(run.StateDetails), runLog(t, vc, id, "driver"))
	}
	prefix := "spark-event-logs/" + vc + "/jobs/" + id + "/sparklogs/eventlog_v2_spark-"
	objs, err := c.ListObjectsV2(ctx, &s3.ListObjectsV2Input{Bucket: aws.String(config.DevS3Bucket), Prefix: aws.String(prefix)})
	if err != nil || len(objs.Contents) < 2 {
		t.Fatalf("objects under s3://%s/%s: %v %v; want the event log and its status", config.DevS3Bucket, prefix, objs, err)
	}

	// The run's Job goes, and with it every pod of the run.
	bg := metav1.DeletePropagationBackground
	if err := kube.BatchV1().Jobs(ns).Delete(ctx, id, metav1.DeleteOptions{PropagationPolicy: &bg}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(2 * time.Minute); len(livePods(t, ns, id)) > 0; time.Sleep(time.Second) {
		if time.Now().After(deadline) {
			t.Fatalf("pods of the run still there: %v", livePods(t, ns, id))
		}
	}

	out, err := sparkplane(5*time.Minute, "ui", "--endpoint-url", srv.URL, "--output", "json", vc, id)
	if err != nil {
		t.Fatalf("sparkplane ui: %v\n%s", err, out)
	}
	var ui struct{ URL, ApplicationID, HistoryServer, EventLog string }
	if err := json.Unmarshal([]byte(out), &ui); err != nil {
		t.Fatalf("sparkplane ui: %v: %s", err, out)
	}
	t.Cleanup(func() { os.RemoveAll(filepath.Join(config.DefaultSparkUIDir, "logs", "eventlog_v2_"+ui.ApplicationID)) })
	if want := "s3://" + config.DevS3Bucket + "/spark-event-logs/" + vc + "/jobs/" + id + "/sparklogs/"; ui.EventLog != want ||
		!strings.HasPrefix(ui.ApplicationID, "spark-") || ui.URL != ui.HistoryServer+"/history/"+ui.ApplicationID+"/jobs/" {
		t.Fatalf("sparkplane ui answered %+v; want the event log in %s", ui, want)
	}
	api := ui.HistoryServer + "/api/v1/applications/" + ui.ApplicationID
	var jobs []struct {
		JobID  int
		Status string
	}
	getJSON(t, api+"/jobs", &jobs)
	if len(jobs) != 3 {
		t.Errorf("History Server lists %d jobs, want 3: %+v", len(jobs), jobs)
	}
	for _, j := range jobs {
		if j.Status != "SUCCEEDED" {
			t.Errorf("job %d: %s, want SUCCEEDED", j.JobID, j.Status)
		}
	}
	var stages []struct{ Status string }
	getJSON(t, api+"/stages", &stages)
	var executors []struct{ ID string }
	getJSON(t, api+"/allexecutors", &executors)
	if len(stages) < 3 || len(executors) != 3 {
		t.Errorf("History Server: %d stages, executors %+v; want 3 stages or more, the driver and 2 executors", len(stages), executors)
	}
}

// getJSON GETs url and decodes its JSON answer into out.
func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
}
