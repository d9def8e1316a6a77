package e2e

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/parquet-go/parquet-go"

	"github.com/sparkplane/sparkplane/internal/config"
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

// The role's keys, which the job gets in its credentials file only.
const (
	s3aRoleKey    = "AKIAS3AROLES3AROLE01"
	s3aRoleSecret = "s3a-role-secret-do-not-leak"
)

// A PySpark job on the local runtime reads a CSV from s3:// and writes
// Parquet to s3a://, both through S3A on the configured endpoint with its
// execution role's credentials file; the Parquet read back from the server
// holds the rows, and the role's keys appear in neither spark-defaults.conf
// nor the command line.
func TestS3AReadsCSVAndWritesParquet(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Spark")
	}
	srv := startS3(t)
	srv.createBucket(t, "lake")
	c := srv.client()
	const csv = "id,name,amount\n1,alice,10.5\n2,bob,20.25\n3,carol,30\n"
	if _, err := c.PutObject(t.Context(), &s3.PutObjectInput{Bucket: aws.String("lake"), Key: aws.String("in.csv"), Body: strings.NewReader(csv)}); err != nil {
		t.Fatalf("put in.csv: %v", err)
	}

	const role = "arn:aws:iam::123456789012:role/emr-job" // startJob's
	creds := filepath.Join(t.TempDir(), "role-credentials")
	if err := os.WriteFile(creds, []byte(fmt.Sprintf("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\n", s3aRoleKey, s3aRoleSecret)), 0o600); err != nil {
		t.Fatal(err)
	}
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
	if keys := srv.accessKeys(); !slices.Equal(keys, []string{s3aRoleKey}) {
		t.Errorf("the S3 server saw requests signed with %v, want the role's key %s alone", keys, s3aRoleKey)
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
	var rows []row
	var keys []string
	list, err := c.ListObjectsV2(t.Context(), &s3.ListObjectsV2Input{Bucket: aws.String("lake"), Prefix: aws.String("out/")})
	if err != nil {
		t.Fatalf("list out/: %v", err)
	}
	for _, o := range list.Contents {
		key := aws.ToString(o.Key)
		keys = append(keys, key)
		if !strings.HasSuffix(key, ".parquet") {
			continue
		}
		b := srv.get(t, "lake", key)
		got, err := parquet.Read[row](bytes.NewReader(b), int64(len(b)))
		if err != nil {
			t.Fatalf("read %s: %v", key, err)
		}
		rows = append(rows, got...)
	}
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
	for _, secret := range []string{s3aRoleKey, s3aRoleSecret} {
		if strings.Contains(conf, secret) || strings.Contains(stderr, secret) {
			t.Errorf("the role's key %s is in spark-defaults.conf or the job's log", secret)
		}
	}
}

// s3Server is a real S3-compatible server for one test: moto's server
// (pip install 'moto[server]'), in a process of its own, behind a proxy
// that notes the access key of every signed request (moto checks no
// signatures).
//
// TEMPORARY: internal/testenv/s3env (versitygw, which also checks
// signatures and per-user bucket access) replaces this harness when it
// lands; its Start/CreateBucket/Client fit the calls above.
type s3Server struct {
	Endpoint, Region     string
	AccessKey, SecretKey string

	mu   sync.Mutex
	keys map[string]bool // access keys of the requests the proxy saw, but the test's own
}

// accessKeys are the access keys the requests not made by the test were
// signed with, sorted.
func (s *s3Server) accessKeys() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Sorted(maps.Keys(s.keys))
}

var credentialOfSigV4 = regexp.MustCompile(`Credential=([^/]+)/`)

func startS3(t *testing.T) *s3Server {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Skip("no moto_server on PATH (pip install 'moto[server]'); internal/testenv/s3env will replace it")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "-H", "127.0.0.1", "-p", fmt.Sprint(port))
	logf, err := os.Create(filepath.Join(t.TempDir(), "moto.log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() { cancel(); _ = cmd.Wait(); logf.Close() })
	moto := &url.URL{Scheme: "http", Host: fmt.Sprintf("127.0.0.1:%d", port)}
	s := &s3Server{Region: "us-east-1", AccessKey: "AKIATESTROOT", SecretKey: "root-secret", keys: map[string]bool{}}
	proxy := httputil.NewSingleHostReverseProxy(moto)
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if m := credentialOfSigV4.FindStringSubmatch(r.Header.Get("Authorization")); m != nil && m[1] != s.AccessKey {
			s.mu.Lock()
			s.keys[m[1]] = true
			s.mu.Unlock()
		}
		proxy.ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)
	s.Endpoint = front.URL
	for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(200 * time.Millisecond) {
		resp, err := http.Get(moto.String() + "/")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s: %v\n%s", s.Endpoint, err, readFile(t, logf.Name()))
		}
	}
}

// client is an S3 client of the server, path-style.
func (s *s3Server) client() *s3.Client {
	return s3.New(s3.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.Endpoint),
		UsePathStyle: true,
		Credentials:  credentials.NewStaticCredentialsProvider(s.AccessKey, s.SecretKey, ""),
	})
}

func (s *s3Server) createBucket(t *testing.T, name string) {
	t.Helper()
	if _, err := s.client().CreateBucket(t.Context(), &s3.CreateBucketInput{Bucket: aws.String(name)}); err != nil {
		t.Fatalf("create bucket %s: %v", name, err)
	}
}

func (s *s3Server) get(t *testing.T, bucket, key string) []byte {
	t.Helper()
	out, err := s.client().GetObject(t.Context(), &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)})
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	defer out.Body.Close()
	b, err := io.ReadAll(out.Body)
	if err != nil {
		t.Fatalf("get s3://%s/%s: %v", bucket, key, err)
	}
	return b
}
