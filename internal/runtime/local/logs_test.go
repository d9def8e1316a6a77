package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/rundir"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// memArchive is an in-memory runtime.LogArchive.
type memArchive map[string][]byte

func (a memArchive) PutJobRunLog(_ context.Context, vc, run string, attempt int, stream string, data []byte) error {
	a[fmt.Sprintf("%s/%s/%d/%s", vc, run, attempt, stream)] = bytes.Clone(data)
	return nil
}

func (a memArchive) JobRunLog(_ context.Context, vc, run string, attempt int, stream string) ([]byte, error) {
	b, ok := a[fmt.Sprintf("%s/%s/%d/%s", vc, run, attempt, stream)]
	if !ok {
		return nil, runtime.ErrLogNotFound
	}
	return b, nil
}

// writeRunFiles writes the files of run's current attempt.
func writeRunFiles(t *testing.T, runsDir string, run *emr.JobRun, files map[string]string) {
	t.Helper()
	dir := rundir.Path(runsDir, run)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// CollectLogs puts stdout and stderr of the current attempt into the
// archive, under that attempt, and leaves the run folder as it was.
func TestCollectLogs(t *testing.T) {
	runsDir, archive := t.TempDir(), memArchive{}
	r := New(Options{Dir: runsDir, Archive: archive})
	vc := &emr.VirtualCluster{ID: "vc1"}
	run := &emr.JobRun{ID: "run1", VirtualClusterID: "vc1", State: emr.JobRunRunning}
	writeRunFiles(t, runsDir, run, map[string]string{fileStdout: "first out\n", fileStderr: "first err\n", fileExit: "1\n"})
	if err := r.CollectLogs(context.Background(), vc, run); err != nil {
		t.Fatal(err)
	}
	run.RetryPolicyExecution = &emr.RetryPolicyExecution{CurrentAttemptCount: 2}
	writeRunFiles(t, runsDir, run, map[string]string{fileStdout: "second out\n"}) // stderr never written
	if err := r.CollectLogs(context.Background(), vc, run); err != nil {
		t.Fatal(err)
	}
	want := memArchive{
		"vc1/run1/1/stdout": []byte("first out\n"),
		"vc1/run1/1/stderr": []byte("first err\n"),
		"vc1/run1/2/stdout": []byte("second out\n"),
	}
	if len(archive) != len(want) {
		t.Errorf("archived %d logs, want %d: %q", len(archive), len(want), archive)
	}
	for k, w := range want {
		if got := archive[k]; !bytes.Equal(got, w) {
			t.Errorf("%s: archived %q, want %q", k, got, w)
		}
	}
	if _, err := os.Stat(filepath.Join(runsDir, "vc1", "run1", fileStdout)); err != nil {
		t.Errorf("the run folder's stdout is gone: %v", err)
	}
	// Without an archive there is nothing to do.
	if err := New(Options{Dir: runsDir}).CollectLogs(context.Background(), vc, run); err != nil {
		t.Errorf("without an archive: %v", err)
	}
}

// A log longer than runtime.MaxArchivedLog keeps its end.
func TestCollectLogsKeepsTheEnd(t *testing.T) {
	runsDir, archive := t.TempDir(), memArchive{}
	run := &emr.JobRun{ID: "run1", VirtualClusterID: "vc1"}
	long := bytes.Repeat([]byte("0123456789abcdef"), runtime.MaxArchivedLog/16+100)
	writeRunFiles(t, runsDir, run, map[string]string{fileStderr: string(long) + "the cause\n"})
	if err := New(Options{Dir: runsDir, Archive: archive}).CollectLogs(context.Background(), &emr.VirtualCluster{ID: "vc1"}, run); err != nil {
		t.Fatal(err)
	}
	got := archive["vc1/run1/1/stderr"]
	if len(got) != runtime.MaxArchivedLog || !bytes.HasSuffix(got, []byte("the cause\n")) {
		t.Errorf("archived %d bytes ending %q, want %d ending with the cause", len(got), got[max(0, len(got)-20):], runtime.MaxArchivedLog)
	}
}

// Logs serves the current attempt's stdout and stderr from the run folder;
// other streams and missing files are not found.
func TestLiveLogs(t *testing.T) {
	runsDir := t.TempDir()
	r := New(Options{Dir: runsDir})
	vc := &emr.VirtualCluster{ID: "vc1"}
	run := &emr.JobRun{ID: "run1", VirtualClusterID: "vc1", RetryPolicyExecution: &emr.RetryPolicyExecution{CurrentAttemptCount: 2}}
	writeRunFiles(t, runsDir, run, map[string]string{fileStdout: "out 2\n", filePID: "{}"})
	rc, err := r.Logs(context.Background(), vc, run, runtime.StreamStdout)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(rc)
	rc.Close()
	if string(b) != "out 2\n" {
		t.Errorf("stdout %q, want the second attempt's", b)
	}
	for _, stream := range []string{runtime.StreamStderr, runtime.StreamDriver, filePID, "../../../etc/passwd"} {
		if rc, err := r.Logs(context.Background(), vc, run, stream); !errors.Is(err, runtime.ErrLogNotFound) {
			if rc != nil {
				rc.Close()
			}
			t.Errorf("Logs(%s): %v, want ErrLogNotFound", stream, err)
		}
	}
}
