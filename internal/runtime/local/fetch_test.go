package local

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

const testRole = "arn:aws:iam::123456789012:role/r"

func s3Run(driver emr.JobDriver) *emr.JobRun {
	return &emr.JobRun{ID: "run1", VirtualClusterID: "vc1", Name: "n", ExecutionRoleARN: testRole, JobDriver: &driver}
}

// TestFetchRewritesArgs: code in S3 is planned into the working folder and
// spark-submit gets the local paths, #aliases kept; other code is left alone.
func TestFetchRewritesArgs(t *testing.T) {
	const w = "/w"
	for _, tc := range []struct {
		name     string
		driver   emr.JobDriver
		wantArgs []string // after --properties-file <file> --name n
		wantGets map[string]string
	}{{
		name: "pyspark",
		driver: emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "s3://b/jobs/app.py", EntryPointArguments: []string{"s3://b/in/"},
			SparkSubmitParameters: "--py-files s3://b/lib.zip,file:///opt/l.zip --archives s3a://b/env.tar.gz#env --files s3n://b/x/app.py"}},
		wantArgs: []string{"--py-files", w + "/code/2/lib.zip,file:///opt/l.zip", "--archives", w + "/code/3/env.tar.gz#env",
			"--files", w + "/code/4/app.py", w + "/code/1/app.py", "s3://b/in/"},
		wantGets: map[string]string{"s3://b/jobs/app.py": w + "/code/1/app.py", "s3://b/lib.zip": w + "/code/2/lib.zip",
			"s3a://b/env.tar.gz": w + "/code/3/env.tar.gz", "s3n://b/x/app.py": w + "/code/4/app.py"},
	}, {
		name: "jar with --conf spark.jars",
		driver: emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "s3://b/app.jar",
			SparkSubmitParameters: "--class a.B --conf spark.jars=s3://b/dep.jar"}},
		wantArgs: []string{"--class", "a.B", "--conf", "spark.jars=" + w + "/code/2/dep.jar", w + "/code/1/app.jar"},
		wantGets: map[string]string{"s3://b/app.jar": w + "/code/1/app.jar", "s3://b/dep.jar": w + "/code/2/dep.jar"},
	}, {
		name:     "sql file",
		driver:   emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{EntryPoint: "s3://b/q.sql", SparkSQLParameters: "--hivevar d=1"}},
		wantArgs: []string{"--class", sparksubmit.SQLDriverClass, "spark-internal", "--hivevar", "d=1", "-f", w + "/code/1/q.sql"},
		wantGets: map[string]string{"s3://b/q.sql": w + "/code/1/q.sql"},
	}, {
		name:     "nothing in S3",
		driver:   emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "https://h/app.py", SparkSubmitParameters: "--jars https://h/x.jar"}},
		wantArgs: []string{"--jars", "https://h/x.jar", "https://h/app.py"},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			r := New(Options{S3: func(context.Context, string) (Fetcher, error) { return nil, nil }})
			run := s3Run(tc.driver)
			sub, err := sparksubmit.Build(run, nil)
			if err != nil {
				t.Fatal(err)
			}
			ds, err := r.planFetch(sub, w)
			if err != nil {
				t.Fatal(err)
			}
			gets, fetched := map[string]string{}, map[string]bool{}
			for _, d := range ds {
				gets[d.uri], fetched[d.path] = d.path, true
			}
			if len(gets) == 0 {
				gets = nil
			}
			if !reflect.DeepEqual(gets, tc.wantGets) {
				t.Errorf("downloads %v, want %v", gets, tc.wantGets)
			}
			args, _, err := r.args(run, sub, w, r.opts.Dist, fetched)
			if err != nil {
				t.Fatal(err)
			}
			if got := args[8:]; !reflect.DeepEqual(got, tc.wantArgs) {
				t.Errorf("args %q, want %q", got, tc.wantArgs)
			}
		})
	}
}

func TestFetchRefusals(t *testing.T) {
	submitErr := func(t *testing.T, err error, reason emr.FailureReason, msg string) {
		t.Helper()
		se, ok := runtime.AsSubmitError(err)
		if !ok || se.Reason != reason || !strings.Contains(se.Message, msg) {
			t.Errorf("%v, want a %s SubmitError containing %q", err, reason, msg)
		}
	}
	sub := func(entry string) *sparksubmit.Submission {
		s, err := sparksubmit.Build(s3Run(emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: entry}}), nil)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	_, err := New(Options{}).planFetch(sub("s3://b/app.py"), "/w")
	submitErr(t, err, emr.FailureValidation, "no S3 object storage")
	r := New(Options{S3: func(context.Context, string) (Fetcher, error) { return nil, errors.New("bad file") }})
	for _, uri := range []string{"s3://b/", "s3://b/dir/", "s3://b/.."} {
		_, err = r.planFetch(sub(uri), "/w")
		submitErr(t, err, emr.FailureValidation, "does not name an object")
	}
	ds, err := r.planFetch(sub("s3://b/app.py"), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	submitErr(t, r.fetch(context.Background(), s3Run(emr.JobDriver{}), t.TempDir(), ds, nil), emr.FailureClusterUnavailable, "bad file")
}

// TestFetchFromS3 fetches against an S3-compatible server: the files land
// where planned; a missing object fails the run with S3's error and
// leaves nothing behind.
func TestFetchFromS3(t *testing.T) {
	srv := s3env.Start(t)
	srv.CreateBucket("code")
	srv.Put("code", "app.py", []byte("print(1)\n"))
	srv.Put("code", "lib.zip", []byte("zip"))
	r := New(Options{S3: func(ctx context.Context, arn string) (Fetcher, error) {
		if arn != testRole {
			t.Errorf("credentials of %s asked for", arn)
		}
		return objectstore.New(ctx, objectstore.Options{Endpoint: srv.Endpoint, Region: srv.Region, PathStyle: true, CredentialsFile: srv.CredentialsFile(srv.Root())})
	}})
	plan := func(entry, params string) (*emr.JobRun, string, []download) {
		run := s3Run(emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: entry, SparkSubmitParameters: params}})
		s, err := sparksubmit.Build(run, nil)
		if err != nil {
			t.Fatal(err)
		}
		work := t.TempDir()
		ds, err := r.planFetch(s, work)
		if err != nil {
			t.Fatal(err)
		}
		return run, work, ds
	}

	run, work, ds := plan("s3://code/app.py", "--py-files s3://code/lib.zip")
	if err := r.fetch(context.Background(), run, work, ds, nil); err != nil {
		t.Fatal(err)
	}
	for _, want := range []struct{ path, body string }{{"code/1/app.py", "print(1)\n"}, {"code/2/lib.zip", "zip"}} {
		if b, err := os.ReadFile(filepath.Join(work, want.path)); err != nil || string(b) != want.body {
			t.Errorf("%s: %q %v", want.path, b, err)
		}
	}
	r.cleanWork(work)
	if _, err := os.Stat(filepath.Join(work, dirCode)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("code folder left after the run: %v", err)
	}

	run, work, ds = plan("s3://code/app.py", "--py-files s3://code/missing.zip")
	err := r.fetch(context.Background(), run, work, ds, nil)
	se, ok := runtime.AsSubmitError(err)
	if !ok || se.Reason != emr.FailureUser || se.Message != "s3://code/missing.zip: NoSuchKey: The specified key does not exist." {
		t.Errorf("missing object: %#v", err)
	}
	if _, err := os.Stat(filepath.Join(work, dirCode)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a failed fetch left its code folder: %v", err)
	}
}

// slowFetcher never finishes on its own.
type slowFetcher struct{}

func (slowFetcher) Fetch(ctx context.Context, uri, dest string) error {
	<-ctx.Done()
	return ctx.Err()
}

func TestFetchTimeout(t *testing.T) {
	r := New(Options{FetchTimeout: 50 * time.Millisecond,
		S3: func(context.Context, string) (Fetcher, error) { return slowFetcher{}, nil }})
	work := t.TempDir()
	ds := []download{{uri: "s3://code/app.py", path: filepath.Join(work, dirCode, "1", "app.py")}}
	err := r.fetch(context.Background(), s3Run(emr.JobDriver{}), work, ds, nil)
	if se, ok := runtime.AsSubmitError(err); !ok || se.Reason != emr.FailureUser || !strings.Contains(se.Message, "within 50ms") {
		t.Errorf("slow fetch: %v, want a USER_ERROR naming the timeout", err)
	}
}
