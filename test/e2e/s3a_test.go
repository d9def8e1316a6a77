package e2e

import (
	"path/filepath"
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

// csvToParquet reads the CSV at argv[1] and writes it as Parquet to argv[2].
const csvToParquet = `
import sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("csv-to-parquet").getOrCreate()
df = spark.read.option("header", True).schema("id BIGINT, name STRING, amount DOUBLE").csv(sys.argv[1])
df.write.mode("overwrite").parquet(sys.argv[2])
print("WROTE %d rows" % spark.read.parquet(sys.argv[2]).count(), flush=True)
spark.stop()
`

// A PySpark job on the local runtime reads a CSV from s3:// and writes
// Parquet to s3a://, both through S3A on the configured endpoint with its
// execution role's credentials file; the Parquet read back from the server
// holds the rows, and the role's keys appear in neither spark-defaults.conf
// nor the command line. The bucket belongs to the role's S3 user alone and
// the server has no other credentials, so the job's success proves it
// used the role's.
func TestS3AReadsCSVAndWritesParquet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Spark")
	}
	srv := s3env.Start(t)
	roleCreds := srv.AddUser("emr-job")
	srv.CreateBucketFor("lake", roleCreds)
	c := srv.Client(roleCreds)
	const csv = "id,name,amount\n1,alice,10.5\n2,bob,20.25\n3,carol,30\n"
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("in.csv"), Body: strings.NewReader(csv)}); err != nil {
		t.Fatalf("put in.csv: %v", err)
	}

	const role = "arn:aws:iam::123456789012:role/emr-job" // startJob's
	creds := srv.CredentialsFile(roleCreds)
	s := startServerWith(t, "", func(cfg *config.Config) {
		cfg.S3 = config.S3{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true}
		cfg.Security.ExecutionRoles = []config.ExecutionRole{{ARN: role, CredentialsFile: creds}}
	})
	vc := createVC(t, s.Client, "s3a", "default")
	app := "file://" + writeApp(t, "csv_to_parquet.py", csvToParquet)
	const params = "--conf spark.executor.instances=1 --conf spark.driver.memory=1g"
	id := startJob(t, s.Client, vc, "csv-to-parquet", app, params, "s3://lake/in.csv", "s3a://lake/out/")
	// The same job under a role without credentials (unmapped) gets none.
	bare := startJobAs(t, s.Client, vc, "arn:aws:iam::123456789012:role/no-credentials", app, "s3://lake/in.csv", "s3a://lake/bare/")
	waitCompleted(t, s, vc, id)
	if out := getLog(t, s.URL, vc, id, "stdout"); !strings.Contains(out, "WROTE 3 rows") {
		t.Errorf("stdout of the job:\n%s", out)
	}
	run, _ := waitFor(t, s.Client, vc, bare, 3*time.Minute, terminal)
	if stderr := getLog(t, s.URL, vc, bare, "stderr"); run.State != types.JobRunStateFailed || !strings.Contains(stderr, "No AWS Credentials") {
		t.Errorf("the run without credentials: %s, want FAILED with S3A's \"No AWS Credentials\"; stderr:\n%s", run.State, lastN(stderr, 30))
	}

	// The Parquet files, read straight from the S3 server.
	type row struct {
		ID     int64   `parquet:"id"`
		Name   string  `parquet:"name"`
		Amount float64 `parquet:"amount"`
	}
	rows, keys := s3env.ReadParquet[row](t, c, "lake", "out/")
	if !slices.Contains(keys, "out/_SUCCESS") {
		t.Errorf("out/ holds %v: no _SUCCESS, the job did not commit", keys)
	}
	slices.SortFunc(rows, func(a, b row) int { return int(a.ID - b.ID) })
	want := []row{{1, "alice", 10.5}, {2, "bob", 20.25}, {3, "carol", 30}}
	if !slices.Equal(rows, want) {
		t.Errorf("rows in s3://lake/out/: %+v, want %+v (objects: %v)", rows, want, keys)
	}

	// The secret stays in the credentials file.
	conf := readFile(t, filepath.Join(s.DataDir, "runs", vc, id, "spark-defaults.conf"))
	for _, want := range []string{"spark.hadoop.fs.s3.impl org.apache.hadoop.fs.s3a.S3AFileSystem", "spark.hadoop.fs.s3a.endpoint " + srv.Endpoint,
		"spark.hadoop.fs.s3a.path.style.access true", "com.amazonaws.auth.profile.ProfileCredentialsProvider"} {
		if !strings.Contains(conf, want) {
			t.Errorf("spark-defaults.conf lacks %q:\n%s", want, conf)
		}
	}
	stderr := getLog(t, s.URL, vc, id, "stderr")
	for _, secret := range []string{roleCreds.AccessKeyID, roleCreds.SecretAccessKey} {
		if strings.Contains(conf, secret) || strings.Contains(stderr, secret) {
			t.Errorf("the role's key %s is in spark-defaults.conf or the job's log", secret)
		}
	}
}
