package runtime_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// memArchive is an in-memory runtime.LogArchive.
type memArchive struct {
	mu   sync.Mutex
	logs map[string][]byte
	err  error // returned by JobRunLog when set
}

func archiveKey(vc, run string, attempt int, stream string) string {
	return fmt.Sprintf("%s/%s/%d/%s", vc, run, attempt, stream)
}

func (a *memArchive) PutJobRunLog(_ context.Context, vc, run string, attempt int, stream string, data []byte) error {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.logs == nil {
		a.logs = map[string][]byte{}
	}
	a.logs[archiveKey(vc, run, attempt, stream)] = bytes.Clone(data)
	return nil
}

func (a *memArchive) JobRunLog(_ context.Context, vc, run string, attempt int, stream string) ([]byte, error) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if a.err != nil {
		return nil, a.err
	}
	b, ok := a.logs[archiveKey(vc, run, attempt, stream)]
	if !ok {
		return nil, fmt.Errorf("log %s: %w", stream, runtime.ErrLogNotFound)
	}
	return b, nil
}

// liveRuntime serves live logs from a map by stream ("" for none).
type liveRuntime struct {
	runtime.Runtime
	live map[string]string
}

func (r liveRuntime) Logs(_ context.Context, vc *emr.VirtualCluster, run *emr.JobRun, stream string) (io.ReadCloser, error) {
	s, ok := r.live[stream]
	if !ok {
		return nil, fmt.Errorf("%s: %w", stream, runtime.ErrLogNotFound)
	}
	return io.NopCloser(strings.NewReader(s)), nil
}

// plainRuntime serves no live logs.
type plainRuntime struct{ runtime.Runtime }

func TestLogSourceOpen(t *testing.T) {
	vcs := map[string]*emr.VirtualCluster{
		"vc-live":  {ID: "vc-live", ContainerProvider: emr.ContainerProvider{ID: "c-live"}},
		"vc-plain": {ID: "vc-plain", ContainerProvider: emr.ContainerProvider{ID: "c-plain"}},
		"vc-gone":  {ID: "vc-gone", ContainerProvider: emr.ContainerProvider{ID: "unregistered"}},
	}
	lookup := func(_ context.Context, id string) (*emr.VirtualCluster, error) {
		if vc, ok := vcs[id]; ok {
			return vc, nil
		}
		return nil, errors.New("no such virtual cluster")
	}
	runtimes := map[string]runtime.Runtime{
		"c-live":  liveRuntime{live: map[string]string{"stdout": "live out\n"}},
		"c-plain": plainRuntime{},
	}
	run := func(vc string, state emr.JobRunState, attempt int) *emr.JobRun {
		r := &emr.JobRun{ID: "run1", VirtualClusterID: vc, State: state}
		if attempt > 1 {
			r.RetryPolicyExecution = &emr.RetryPolicyExecution{CurrentAttemptCount: attempt}
		}
		return r
	}
	archived := &memArchive{}
	for _, vc := range []string{"vc-live", "vc-plain", "vc-gone"} {
		_ = archived.PutJobRunLog(context.Background(), vc, "run1", 1, "stdout", []byte("archived out\n"))
	}
	_ = archived.PutJobRunLog(context.Background(), "vc-live", "run1", 2, "stderr", []byte("archived err 2\n"))
	failing := &memArchive{err: errors.New("database is down")}

	for _, tc := range []struct {
		name    string
		archive runtime.LogArchive
		run     *emr.JobRun
		stream  string
		want    string // "" with wantErr
		wantErr error  // nil: any error; checked with errors.Is when set
		fails   bool
	}{
		{"ended: archived wins", archived, run("vc-live", emr.JobRunCompleted, 1), "stdout", "archived out\n", nil, false},
		{"ended, other cluster: archived", archived, run("vc-gone", emr.JobRunFailed, 1), "stdout", "archived out\n", nil, false},
		{"ended, attempt 2: that attempt's", archived, run("vc-live", emr.JobRunFailed, 2), "stderr", "archived err 2\n", nil, false},
		{"ended, nothing archived: live", archived, run("vc-live", emr.JobRunCancelled, 2), "stdout", "live out\n", nil, false},
		{"ended, no archive: live", nil, run("vc-live", emr.JobRunCompleted, 1), "stdout", "live out\n", nil, false},
		{"running: live, not archived", archived, run("vc-live", emr.JobRunRunning, 1), "stdout", "live out\n", nil, false},
		{"running, no live log", archived, run("vc-live", emr.JobRunRunning, 1), "driver", "", runtime.ErrLogNotFound, true},
		{"ended, neither", archived, run("vc-live", emr.JobRunCompleted, 1), "driver", "", runtime.ErrLogNotFound, true},
		{"runtime without live logs", archived, run("vc-plain", emr.JobRunRunning, 1), "stdout", "", runtime.ErrLogNotFound, true},
		{"cluster not registered here", nil, run("vc-gone", emr.JobRunRunning, 1), "stdout", "", runtime.ErrLogNotFound, true},
		{"archive fails", failing, run("vc-live", emr.JobRunCompleted, 1), "stdout", "", nil, true},
		{"running, archive failing: not asked", failing, run("vc-live", emr.JobRunSubmitted, 1), "stdout", "live out\n", nil, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src := runtime.NewLogSource(runtimes, tc.archive, lookup)
			rc, err := src.Open(context.Background(), tc.run, tc.stream)
			if tc.fails {
				if err == nil {
					rc.Close()
					t.Fatal("no error")
				}
				if tc.wantErr != nil && !errors.Is(err, tc.wantErr) {
					t.Fatalf("error %v, want one wrapping %v", err, tc.wantErr)
				}
				if tc.wantErr == nil && errors.Is(err, runtime.ErrLogNotFound) {
					t.Fatalf("error %v reads as not found; a failing archive is not an absent log", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			b, err := io.ReadAll(rc)
			if err != nil {
				t.Fatal(err)
			}
			if string(b) != tc.want {
				t.Errorf("got %q, want %q", b, tc.want)
			}
		})
	}
}

func TestReadTail(t *testing.T) {
	data := make([]byte, 10000)
	for i := range data {
		data[i] = byte('a' + i%26)
	}
	for _, limit := range []int{1, 7, 100, 4096, 9999, 10000, 20000} {
		// Small reads exercise the buffer's compaction.
		got, err := runtime.ReadTail(io.LimitReader(&chunked{data: data, n: 13}, int64(len(data))), limit)
		if err != nil {
			t.Fatal(err)
		}
		want := data[max(0, len(data)-limit):]
		if !bytes.Equal(got, want) {
			t.Errorf("limit %d: got %d bytes, want the last %d", limit, len(got), len(want))
		}
	}
}

// chunked reads data n bytes at a time.
type chunked struct {
	data []byte
	n    int
}

func (c *chunked) Read(p []byte) (int, error) {
	if len(c.data) == 0 {
		return 0, io.EOF
	}
	k := copy(p[:min(len(p), c.n)], c.data)
	c.data = c.data[k:]
	return k, nil
}
