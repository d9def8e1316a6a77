package e2e

import (
	"archive/zip"
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// The tests of a pipeline kept in S3 on the local runtime: code,
// libraries and data all in S3, read and written with the execution role's
// credentials, and nothing outside the role's buckets.

// pipelineApp reads the CSV at argv[1], labels every row with the
// transform module of the --py-files zip (in a UDF and in an RDD map, so
// Python workers import it, not only the driver) and writes Parquet to
// argv[2]. Its task slots are the local[N] that two executors got.
const pipelineApp = `
import sys
from pyspark.sql import SparkSession
from pyspark.sql.functions import udf
import transform
spark = SparkSession.builder.appName("s3-pipeline").getOrCreate()
df = spark.read.option("header", True).schema("id BIGINT, name STRING, amount DOUBLE").csv(sys.argv[1])
df = df.repartition(2).withColumn("label", udf(transform.label)("name", "amount"))
df.write.mode("overwrite").parquet(sys.argv[2])
doubled = spark.sparkContext.parallelize([1, 2, 3, 4], 2).map(transform.double).sum()
print("PIPELINE wrote %d rows, doubled %d, %d task slots" % (spark.read.parquet(sys.argv[2]).count(), doubled,
    spark.sparkContext.defaultParallelism), flush=True)
spark.stop()
`

// transformModule is the module the pipeline's --py-files zip holds.
const transformModule = `
def label(name, amount):
    return "%s:%.2f" % (name.upper(), amount * 2)

def double(n):
    return 2 * n
`

// pipelineRow is a row of the pipeline's Parquet output.
type pipelineRow struct {
	ID     int64   `parquet:"id"`
	Name   string  `parquet:"name"`
	Amount float64 `parquet:"amount"`
	Label  string  `parquet:"label"`
}

// TestS3PipelineLocal: a PySpark job whose entry point, --py-files zip and
// CSV input are in S3 (s3://) writes Parquet to S3 (s3://) on the local
// runtime with two executors; the Parquet read back from the server holds
// the transformed rows. The bucket is the execution role's S3 user's alone
// and the server configuration has no default credentials, so both the
// fetch of the code and S3A used the role's.
func TestS3PipelineLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Spark")
	}
	t.Parallel()
	srv := s3env.Start(t)
	creds := srv.AddUser("pipeline")
	srv.CreateBucketFor("lake", creds)
	c := srv.Client(creds)
	put(t, c, "lake", "jobs/pipeline.py", []byte(pipelineApp))
	put(t, c, "lake", "libs/deps.zip", zipOf(t, "transform.py", transformModule))
	put(t, c, "lake", "in/sales.csv", []byte("id,name,amount\n1,alice,10.5\n2,bob,20.25\n3,carol,30\n4,dave,0.5\n"))

	const role = "arn:aws:iam::123456789012:role/emr-job" // startJob's
	file := srv.CredentialsFile(creds)
	s := startServerWith(t, "", func(cfg *config.Config) {
		cfg.S3 = config.S3{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true}
		cfg.Security.ExecutionRoles = []config.ExecutionRole{{ARN: role, CredentialsFile: file}}
	})
	vc := createVC(t, s.Client, "s3-pipeline", "default")
	id := startJob(t, s.Client, vc, "s3-pipeline", "s3://lake/jobs/pipeline.py",
		"--py-files s3://lake/libs/deps.zip --conf spark.executor.instances=2 --conf spark.driver.memory=1g",
		"s3://lake/in/sales.csv", "s3://lake/out/")
	waitCompleted(t, s, vc, id)
	if out := getLog(t, s.URL, vc, id, "stdout"); !strings.Contains(out, "PIPELINE wrote 4 rows, doubled 20, 2 task slots") {
		t.Errorf("stdout of the job:\n%s", out)
	}

	rows, keys := s3env.ReadParquet[pipelineRow](t, c, "lake", "out/")
	if !slices.Contains(keys, "out/_SUCCESS") {
		t.Errorf("out/ holds %v: no _SUCCESS, the job did not commit", keys)
	}
	slices.SortFunc(rows, func(a, b pipelineRow) int { return int(a.ID - b.ID) })
	want := []pipelineRow{{1, "alice", 10.5, "ALICE:21.00"}, {2, "bob", 20.25, "BOB:40.50"}, {3, "carol", 30, "CAROL:60.00"}, {4, "dave", 0.5, "DAVE:1.00"}}
	if !slices.Equal(rows, want) {
		t.Errorf("rows in s3://lake/out/: %+v, want %+v (objects: %v)", rows, want, keys)
	}
}

// TestS3PipelineEntryPointDenied: an entry point in a bucket of another S3
// user than the execution role's fails the run before Spark starts, with
// S3's AccessDenied in stateDetails. (A missing object: TestMissingCodeInS3Fails.)
func TestS3PipelineEntryPointDenied(t *testing.T) {
	t.Parallel()
	srv := s3env.Start(t)
	owner, role := srv.AddUser("owner"), srv.AddUser("role")
	srv.CreateBucketFor("private", owner)
	srv.CreateBucketFor("mine", role)
	put(t, srv.Client(owner), "private", "jobs/app.py", []byte("print(1)\n"))

	const arn = "arn:aws:iam::123456789012:role/emr-job" // startJob's
	file := srv.CredentialsFile(role)
	s := startServerWith(t, "", func(cfg *config.Config) {
		cfg.S3 = srv.Config() // the root account's credentials by default, which could read it
		cfg.Security.ExecutionRoles = []config.ExecutionRole{{ARN: arn, CredentialsFile: file}}
	})
	vc := createVC(t, s.Client, "s3-denied", "default")
	id := startJob(t, s.Client, vc, "denied", "s3://private/jobs/app.py", "")
	run, _ := waitFor(t, s.Client, vc, id, time.Minute, terminal)
	if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonUserError {
		t.Fatalf("state %s reason %s (%s), want FAILED USER_ERROR", run.State, run.FailureReason, aws.ToString(run.StateDetails))
	}
	if d := aws.ToString(run.StateDetails); d != "s3://private/jobs/app.py: AccessDenied: Access Denied." {
		t.Errorf("stateDetails %q, want S3's AccessDenied", d)
	}
}

// probeApp reads the first line of every text object its arguments name
// and prints it, or the (Java) exception that S3A's refusal raised.
const probeApp = `
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("s3-probe").getOrCreate()
for path in sys.argv[1:]:
    try:
        print("PROBE %s READ %s" % (path, spark.read.text(path).first().value), flush=True)
    except Exception as e:
        java = getattr(e, "java_exception", None) # a Py4JJavaError's
        first = ((java.toString() if java is not None else str(e)).strip().splitlines() or [type(e).__name__])[0]
        print("PROBE %s %s %s" % (path, "DENIED" if "AccessDenied" in first else "ERROR", first), flush=True)
spark.stop()
`

// TestS3RolesSeeOnlyTheirOwnBucket: two execution roles mapped to the
// credentials of two S3 users, each owning one bucket. Each role's run
// (its entry point fetched from its own bucket) reads its own bucket
// through S3A and is refused the other's, both reported by the job; and
// each role's entry point in the other's bucket fails the run with
// AccessDenied.
func TestS3RolesSeeOnlyTheirOwnBucket(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Spark")
	}
	t.Parallel()
	srv := s3env.Start(t)
	type tenant struct {
		role, bucket string
		creds        s3env.Credentials
		file         string
	}
	tenants := []*tenant{
		{role: "arn:aws:iam::123456789012:role/team-a", bucket: "bucket-a"},
		{role: "arn:aws:iam::123456789012:role/team-b", bucket: "bucket-b"},
	}
	var roles []config.ExecutionRole
	for i, tn := range tenants {
		tn.creds = srv.AddUser("team" + string(rune('a'+i)))
		srv.CreateBucketFor(tn.bucket, tn.creds)
		c := srv.Client(tn.creds)
		put(t, c, tn.bucket, "probe.py", []byte(probeApp))
		put(t, c, tn.bucket, "data.txt", []byte("secret of "+tn.bucket+"\n"))
		tn.file = srv.CredentialsFile(tn.creds)
		roles = append(roles, config.ExecutionRole{ARN: tn.role, CredentialsFile: tn.file})
	}
	s := startServerWith(t, "", func(cfg *config.Config) {
		cfg.S3 = config.S3{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true}
		cfg.Security.ExecutionRoles = roles
	})
	vc := createVC(t, s.Client, "s3-roles", "default")
	paths := []string{"s3://bucket-a/data.txt", "s3a://bucket-b/data.txt"}
	probes := make([]string, len(tenants))
	for i, tn := range tenants {
		probes[i] = startJobAs(t, s.Client, vc, tn.role, "s3://"+tn.bucket+"/probe.py", paths...)
	}
	// Each role's entry point in the other's bucket: refused by S3 at fetch.
	for i, tn := range tenants {
		other := tenants[1-i]
		id := startJobAs(t, s.Client, vc, tn.role, "s3://"+other.bucket+"/probe.py")
		run, _ := waitFor(t, s.Client, vc, id, time.Minute, terminal)
		if d := aws.ToString(run.StateDetails); run.State != types.JobRunStateFailed || !strings.HasPrefix(d, "s3://"+other.bucket+"/probe.py: AccessDenied") {
			t.Errorf("%s with its entry point in %s: %s (%s), want FAILED with S3's AccessDenied", tn.role, other.bucket, run.State, d)
		}
	}
	for i, tn := range tenants {
		waitCompleted(t, s, vc, probes[i])
		out := getLog(t, s.URL, vc, probes[i], "stdout")
		for j, p := range paths {
			want := "PROBE " + p + " DENIED "
			if i == j {
				want = "PROBE " + p + " READ secret of " + tn.bucket + "\n"
			}
			if !strings.Contains(out, want) {
				t.Errorf("run of %s lacks %q:\n%s", tn.role, want, out)
			}
		}
	}
}

// put stores body at bucket/key with c.
func put(t *testing.T, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put s3://%s/%s: %v", bucket, key, err)
	}
}

// zipOf is a zip archive holding one file.
func zipOf(t *testing.T, name, content string) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create(name)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write([]byte(content)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
