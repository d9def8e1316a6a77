package logship

import (
	"context"
	"io"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// TestSourceStreams: an ended run's streams are read from what it shipped
// (a Kubernetes run's job-runner and driver; a local run's stdout and
// stderr), each container's by name, and what S3 does not hold falls back
// to the base source.
func TestSourceStreams(t *testing.T) {
	ctx := context.Background()
	store := memStore{}
	dest, _ := NewS3(store, "s3://b/l", "vc", "k8s", Rotation{})
	put := func(c Container, stream, data string) {
		if err := dest.Put(ctx, Piece{Container: c, Stream: stream, Data: []byte(data), Final: true}); err != nil {
			t.Fatal(err)
		}
	}
	k := Container{VirtualClusterID: "vc", JobRunID: "k8s"}
	runner, driver, exec := k, k, k
	runner.Role, runner.Pod = RoleJobRunner, "k8s-abcde"
	driver.Role, driver.AppID, driver.Pod = RoleDriver, "spark-1", "spark-k8s-driver"
	exec.Role, exec.AppID, exec.Pod = RoleExecutor, "spark-1", "pi-1-exec-1"
	put(runner, Stdout, "submitted\n")
	put(driver, Stdout, "Pi is roughly 3.14\n")
	put(driver, Stderr, "")
	put(exec, Stdout, "executor log\n")
	local, _ := NewS3(store, "s3://b/l", "vc", "local", Rotation{})
	lc := Container{VirtualClusterID: "vc", JobRunID: "local", Role: RoleDriver, AppID: "local-local", Pod: "spark-local-driver"}
	local.Put(ctx, Piece{Container: lc, Stream: Stdout, Data: []byte("out\n"), Final: true})
	local.Put(ctx, Piece{Container: lc, Stream: Stderr, Data: []byte("err\n"), Final: true})

	src := NewSource(baseSource{}, func(_ context.Context, run *emr.JobRun) (*Reader, error) {
		return NewReader(store, "s3://b/l", run.VirtualClusterID, run.ID)
	})
	read := func(run *emr.JobRun, stream, container string) string {
		var rc io.ReadCloser
		var err error
		if container == "" {
			rc, err = src.Open(ctx, run, stream)
		} else {
			rc, err = src.OpenContainer(ctx, run, container, stream)
		}
		if err != nil {
			return "error: " + err.Error()
		}
		b, _ := io.ReadAll(rc)
		return string(b)
	}
	kr := &emr.JobRun{VirtualClusterID: "vc", ID: "k8s", State: emr.JobRunCompleted}
	lr := &emr.JobRun{VirtualClusterID: "vc", ID: "local", State: emr.JobRunCompleted}
	for _, tc := range []struct {
		run                     *emr.JobRun
		stream, container, want string
	}{
		{kr, "job-runner", "", "submitted\n"},
		{kr, "driver", "", "Pi is roughly 3.14\n"},
		{kr, "stdout", "", "base stdout"},
		{kr, "stdout", "pi-1-exec-1", "executor log\n"},
		{kr, "stderr", "pi-1-exec-1", "error: [stderr] of pi-1-exec-1: no such log"},
		{lr, "stdout", "", "out\n"},
		{lr, "stderr", "", "err\n"},
		{lr, "driver", "", "base driver"},
		{lr, "stderr", "spark-local-driver", "err\n"},
	} {
		if got := read(tc.run, tc.stream, tc.container); got != tc.want {
			t.Errorf("%s %s %s: %q, want %q", tc.run.ID, tc.stream, tc.container, got, tc.want)
		}
	}
	running := &emr.JobRun{VirtualClusterID: "vc", ID: "local", State: emr.JobRunRunning}
	if got := read(running, "stdout", ""); got != "base stdout" {
		t.Errorf("a running run's stdout: %q, want the live one", got)
	}
	cs, err := src.Containers(ctx, kr)
	if err != nil || len(cs) != 3 || cs[0].Name != "k8s-abcde" || cs[1].Role != "driver" || cs[2].Name != "pi-1-exec-1" ||
		cs[2].Location != "s3://b/l/vc/jobs/k8s/containers/spark-1/pi-1-exec-1/" {
		t.Errorf("containers %+v, %v", cs, err)
	}
	if cs, err := src.Containers(ctx, &emr.JobRun{VirtualClusterID: "vc", ID: "none"}); err != nil || len(cs) != 0 {
		t.Errorf("containers of a run that shipped nothing: %+v, %v", cs, err)
	}
}

// baseSource answers "base <stream>".
type baseSource struct{}

func (baseSource) Open(_ context.Context, _ *emr.JobRun, stream string) (io.ReadCloser, error) {
	return io.NopCloser(strings.NewReader("base " + stream)), nil
}
