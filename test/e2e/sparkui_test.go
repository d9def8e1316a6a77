package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// threeJobs is a PySpark application that runs three Spark jobs.
const threeJobs = `from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
sc = spark.sparkContext
for i in range(3):
    print("sum", i, sc.parallelize(range(1000), 2).map(lambda x: x * x).sum())
spark.stop()
`

// startJobWith submits entryPoint with monitoring configuration m.
func startJobWith(t *testing.T, c *emrcontainers.Client, vcID, name, entryPoint string, m *types.MonitoringConfiguration) string {
	t.Helper()
	out, err := c.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vcID),
		Name:             aws.String(name),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
		ReleaseLabel:     aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(entryPoint),
			SparkSubmitParameters: aws.String("--conf spark.executor.instances=1 --conf spark.executor.cores=2"),
		}},
		ConfigurationOverrides: &types.ConfigurationOverrides{MonitoringConfiguration: m},
	})
	if err != nil {
		t.Fatalf("StartJobRun: %v", err)
	}
	return aws.ToString(out.Id)
}

// historyDir is a folder for a test server's History Server: reachable by
// the user it runs as when the tests run as root (not under a test's 0700
// temporary folder).
func historyDir(t *testing.T) string {
	t.Helper()
	d, err := os.MkdirTemp("", "sparkplane-e2e-history-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	return d
}

// TestSparkUIAfterTheRun: a local run writes its event log (persistentAppUI
// is ENABLED by default); once it has ended and its working folder is
// gone, `sparkplane ui` starts Apache Spark's History Server and prints the
// application's URL, and the History Server's REST API lists its jobs
// (all SUCCEEDED), stages and executors. A run with persistentAppUI
// DISABLED writes none, and asking for its UI says why.
func TestSparkUIAfterTheRun(t *testing.T) {
	hdir := historyDir(t)
	s := startServerWith(t, "", func(c *config.Config) {
		c.SparkUI = config.SparkUI{Address: "127.0.0.1:0", Dir: hdir}
	})
	vc := createVC(t, s.Client, "ui", "ui")
	app := writeApp(t, "three_jobs.py", threeJobs)
	id := startJobWith(t, s.Client, vc, "three-jobs", app, nil)
	off := startJobWith(t, s.Client, vc, "no-ui", app, &types.MonitoringConfiguration{PersistentAppUI: types.PersistentAppUIDisabled})
	for _, r := range []string{id, off} {
		if run, _ := waitFor(t, s.Client, vc, r, 4*time.Minute, terminal); run.State != types.JobRunStateCompleted {
			t.Fatalf("run %s: %s %s\n%s", r, run.State, aws.ToString(run.StateDetails), getLog(t, s.URL, vc, r, "stderr"))
		}
	}
	// The pods' equivalent: the run's working folder goes.
	if os.Geteuid() == 0 {
		if err := os.RemoveAll(filepath.Join(jobsDir(), vc, id)); err != nil {
			t.Fatal(err)
		}
	} else if err := os.RemoveAll(filepath.Join(s.DataDir, "runs", vc, id, "sparklogs")); err != nil {
		t.Fatal(err)
	}

	out, errOut, code := runCLI(t, "ui", "--endpoint-url", s.URL, "--output", "json", vc, id)
	if code != 0 {
		t.Fatalf("ui: exit %d\n%s%s", code, out, errOut)
	}
	var ui struct{ URL, ApplicationID, HistoryServer, EventLog string }
	if err := json.Unmarshal([]byte(out), &ui); err != nil {
		t.Fatalf("ui --output json: %v: %s", err, out)
	}
	if !strings.HasPrefix(ui.ApplicationID, "local-") || ui.URL != ui.HistoryServer+"/history/"+ui.ApplicationID+"/jobs/" {
		t.Fatalf("ui answered %+v", ui)
	}
	if _, err := os.Stat(filepath.Join(s.DataDir, "eventlogs", vc, id, "eventlog_v2_"+ui.ApplicationID)); err != nil {
		t.Errorf("the server's copy of the event log: %v", err)
	}
	var jobs []struct {
		JobID  int    `json:"jobId"`
		Status string `json:"status"`
	}
	getJSON(t, ui.HistoryServer+"/api/v1/applications/"+ui.ApplicationID+"/jobs", &jobs)
	if len(jobs) != 3 {
		t.Errorf("History Server lists %d jobs, want 3: %+v", len(jobs), jobs)
	}
	for _, j := range jobs {
		if j.Status != "SUCCEEDED" {
			t.Errorf("job %d: %s, want SUCCEEDED", j.JobID, j.Status)
		}
	}
	var stages []struct{ Status string }
	getJSON(t, ui.HistoryServer+"/api/v1/applications/"+ui.ApplicationID+"/stages", &stages)
	var executors []struct{ ID string }
	getJSON(t, ui.HistoryServer+"/api/v1/applications/"+ui.ApplicationID+"/executors", &executors)
	if len(stages) < 3 || len(executors) == 0 {
		t.Errorf("History Server: %d stages, %d executors", len(stages), len(executors))
	}
	resp, err := http.Get(ui.URL)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "Spark Jobs") {
		t.Errorf("GET %s: %s\n%.300s", ui.URL, resp.Status, page)
	}
	// As root, the History Server, which parses what jobs wrote, runs as
	// an unprivileged user, who owns what it reads.
	if st, err := os.Stat(filepath.Join(hdir, "logs", "eventlog_v2_"+ui.ApplicationID)); err != nil {
		t.Errorf("the History Server's copy: %v", err)
	} else if uid := st.Sys().(*syscall.Stat_t).Uid; os.Geteuid() == 0 && uid == 0 {
		t.Errorf("the History Server's copy belongs to root")
	}
	// Asked again, the same History Server answers.
	out2, _, code := runCLI(t, "ui", "--endpoint-url", s.URL, vc, id)
	if code != 0 || strings.TrimSpace(out2) != ui.URL {
		t.Errorf("ui again: exit %d %q, want %s", code, out2, ui.URL)
	}

	// persistentAppUI DISABLED: no event log, and a clear error.
	if _, err := os.Stat(filepath.Join(s.DataDir, "eventlogs", vc, off)); err == nil {
		t.Errorf("a run with persistentAppUI DISABLED has an event log")
	}
	_, errOut, code = runCLI(t, "ui", "--endpoint-url", s.URL, vc, off)
	if code != 1 || !strings.Contains(errOut, "ValidationException") || !strings.Contains(errOut, "persistentAppUI DISABLED") {
		t.Errorf("ui of a run with persistentAppUI DISABLED: exit %d, %s", code, errOut)
	}
}

// TestSparkUIFromS3: a local run with an s3MonitoringConfiguration.logUri
// also ships its event log to <logUri>/<vcId>/jobs/<jobId>/sparklogs/ (EMR's
// layout) with its execution role's credentials; with the server's own
// copy and the working folder gone, the UI is served from S3.
func TestSparkUIFromS3(t *testing.T) {
	srv := s3env.Start(t)
	creds := srv.AddUser("role")
	srv.CreateBucketFor("logs", creds)
	const role = "arn:aws:iam::123456789012:role/emr-job" // startJobWith's
	file := srv.CredentialsFile(creds)
	hdir := historyDir(t)
	s := startServerWith(t, "", func(c *config.Config) {
		c.SparkUI = config.SparkUI{Address: "127.0.0.1:0", Dir: hdir}
		c.S3 = config.S3{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true}
		c.Security.ExecutionRoles = []config.ExecutionRole{{ARN: role, CredentialsFile: file}}
	})
	vc := createVC(t, s.Client, "ui-s3", "ui")
	id := startJobWith(t, s.Client, vc, "three-jobs", writeApp(t, "three_jobs.py", threeJobs), &types.MonitoringConfiguration{
		S3MonitoringConfiguration: &types.S3MonitoringConfiguration{LogUri: aws.String("s3://logs/emr/")}})
	if run, _ := waitFor(t, s.Client, vc, id, 4*time.Minute, terminal); run.State != types.JobRunStateCompleted {
		t.Fatalf("run: %s %s", run.State, aws.ToString(run.StateDetails))
	}
	prefix := "emr/" + vc + "/jobs/" + id + "/sparklogs/eventlog_v2_local-"
	out, err := srv.Client(creds).ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("logs"), Prefix: aws.String(prefix)})
	if err != nil || len(out.Contents) < 2 {
		t.Fatalf("objects under s3://logs/%s: %v %v; want the event log and its status", prefix, out, err)
	}
	for _, p := range []string{filepath.Join(s.DataDir, "eventlogs", vc, id), filepath.Join(jobsDir(), vc, id), filepath.Join(s.DataDir, "runs", vc, id, "sparklogs")} {
		if err := os.RemoveAll(p); err != nil {
			t.Fatal(err)
		}
	}
	outJSON, errOut, code := runCLI(t, "ui", "--endpoint-url", s.URL, "--output", "json", vc, id)
	if code != 0 {
		t.Fatalf("ui: exit %d\n%s%s", code, outJSON, errOut)
	}
	var ui struct{ URL, ApplicationID, HistoryServer, EventLog string }
	if err := json.Unmarshal([]byte(outJSON), &ui); err != nil {
		t.Fatal(err)
	}
	if want := "s3://logs/emr/" + vc + "/jobs/" + id + "/sparklogs/"; ui.EventLog != want {
		t.Errorf("event log found in %q, want %q", ui.EventLog, want)
	}
	var jobs []struct{ Status string }
	getJSON(t, ui.HistoryServer+"/api/v1/applications/"+ui.ApplicationID+"/jobs", &jobs)
	if len(jobs) != 3 || jobs[0].Status != "SUCCEEDED" {
		t.Errorf("History Server lists jobs %+v, want 3 SUCCEEDED", jobs)
	}
}
