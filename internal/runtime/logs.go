package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// Log streams: what `sparkplane logs --stream` and the logs endpoint name.
const (
	// StreamStdout and StreamStderr are a local run's spark-submit output.
	StreamStdout = "stdout"
	StreamStderr = "stderr"
	// StreamJobRunner and StreamDriver are a Kubernetes run's job runner
	// and driver pod logs.
	StreamJobRunner = "job-runner"
	StreamDriver    = "driver"
)

// LogStreams are every stream a run may have, in the order `sparkplane
// logs` shows them.
var LogStreams = []string{StreamStdout, StreamStderr, StreamJobRunner, StreamDriver}

// MaxArchivedLog bounds what is archived of one stream of one attempt: a
// longer log keeps its last MaxArchivedLog bytes (where a failure is
// explained), its beginning is dropped.
const MaxArchivedLog = 16 << 20

// ErrLogNotFound says a run has no such log: nothing archived, or the
// runtime has nothing (yet, or any more) for that stream.
var ErrLogNotFound = errors.New("no such log")

// LogArchive keeps the logs of ended attempts where every server sharing it
// can read them: one copy per (virtual cluster, run, attempt, stream). The
// store implements it.
type LogArchive interface {
	// PutJobRunLog keeps data as the log, replacing any earlier copy.
	PutJobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string, data []byte) error
	// JobRunLog returns the kept log; an error wrapping ErrLogNotFound
	// when there is none.
	JobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string) ([]byte, error)
}

// LiveLogs is a Runtime that serves the logs of a run's current attempt
// while its processes or pods exist.
type LiveLogs interface {
	// Logs opens one stream of the run's current attempt, as far as it is
	// written; an error wrapping ErrLogNotFound when the runtime has none.
	Logs(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, stream string) (io.ReadCloser, error)
}

// LogSource opens the logs of runs for the API: the archived copy of an
// ended run's attempt, else (a run not ended, or nothing archived) the
// live logs of the runtime that runs it.
type LogSource struct {
	runtimes map[string]Runtime
	archive  LogArchive
	vc       func(ctx context.Context, id string) (*emr.VirtualCluster, error)
}

// NewLogSource reads archived logs from archive (nil: nothing is archived)
// and live logs from the runtimes, by cluster id, that implement LiveLogs;
// virtualCluster looks up the virtual cluster a run belongs to.
func NewLogSource(runtimes map[string]Runtime, archive LogArchive,
	virtualCluster func(ctx context.Context, id string) (*emr.VirtualCluster, error)) *LogSource {
	return &LogSource{runtimes: runtimes, archive: archive, vc: virtualCluster}
}

// Open returns one stream of the run's current attempt; an error wrapping
// ErrLogNotFound when neither the archive nor the runtime has it.
func (s *LogSource) Open(ctx context.Context, run *emr.JobRun, stream string) (io.ReadCloser, error) {
	if run.State.Terminal() && s.archive != nil {
		b, err := s.archive.JobRunLog(ctx, run.VirtualClusterID, run.ID, run.Attempt(), stream)
		switch {
		case err == nil:
			return io.NopCloser(bytes.NewReader(b)), nil
		case !errors.Is(err, ErrLogNotFound):
			return nil, fmt.Errorf("archived %s of %s: %w", stream, Key(run.VirtualClusterID, run.ID), err)
		}
	}
	vc, err := s.vc(ctx, run.VirtualClusterID)
	if err != nil {
		return nil, fmt.Errorf("virtual cluster of %s: %w", Key(run.VirtualClusterID, run.ID), err)
	}
	live, ok := s.runtimes[vc.ContainerProvider.ID].(LiveLogs)
	if !ok {
		return nil, fmt.Errorf("cluster %q serves no live logs: %w", vc.ContainerProvider.ID, ErrLogNotFound)
	}
	return live.Logs(ctx, vc, run, stream)
}

// ReadTail reads r to its end and returns its last limit bytes.
func ReadTail(r io.Reader, limit int) ([]byte, error) {
	t := &tail{max: limit}
	_, err := io.Copy(t, r)
	return t.bytes(), err
}

// tail is a writer that keeps the last max bytes written to it, in a
// buffer of at most 2×max.
type tail struct {
	max int
	buf []byte
}

func (t *tail) Write(p []byte) (int, error) {
	n := len(p)
	if len(p) > t.max {
		p = p[len(p)-t.max:]
	}
	if len(t.buf)+len(p) > 2*t.max {
		keep := t.max - len(p)
		t.buf = append(t.buf[:0], t.buf[len(t.buf)-keep:]...)
	}
	t.buf = append(t.buf, p...)
	return n, nil
}

func (t *tail) bytes() []byte {
	if len(t.buf) > t.max {
		return t.buf[len(t.buf)-t.max:]
	}
	return t.buf
}
