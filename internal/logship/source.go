package logship

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"slices"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// ReaderOpener returns the Reader of a run's shipped logs (with the
// credentials of the run's execution role); nil (and no error) when the
// run ships none to S3.
type ReaderOpener func(ctx context.Context, run *emr.JobRun) (*Reader, error)

// LogOpener opens a stream of a run the way sparkplane knew before logs
// were shipped (runtime.LogSource: the store's archive, the runtime's live
// logs).
type LogOpener interface {
	Open(ctx context.Context, run *emr.JobRun, stream string) (io.ReadCloser, error)
}

// Source serves the logs of runs to the API from wherever they are: what
// S3 holds of a run that shipped its logs there, readable by every server
// sharing the store whichever ran it; otherwise (nothing shipped yet, or
// no logUri) the store's archive or the runtime's live logs.
type Source struct {
	base    LogOpener
	readers ReaderOpener
}

// NewSource reads shipped logs through readers, the rest through base.
func NewSource(base LogOpener, readers ReaderOpener) *Source {
	return &Source{base: base, readers: readers}
}

// Open implements the API's LogSource for the streams `sparkplane logs`
// names: job-runner and driver (a Kubernetes run: the pod's stdout then
// stderr), stdout and stderr (the driver's; a local run's spark-submit).
// A run that has ended reads them from S3 when they were shipped there.
func (s *Source) Open(ctx context.Context, run *emr.JobRun, stream string) (io.ReadCloser, error) {
	if run.State.Terminal() {
		rc, err := s.openShipped(ctx, run, stream)
		if err == nil || !errors.Is(err, runtime.ErrLogNotFound) {
			return rc, err
		}
	}
	if s.base == nil {
		return nil, fmt.Errorf("%s: %w", stream, runtime.ErrLogNotFound)
	}
	return s.base.Open(ctx, run, stream)
}

// openShipped opens one of the streams of Open from S3.
func (s *Source) openShipped(ctx context.Context, run *emr.JobRun, stream string) (io.ReadCloser, error) {
	// A Kubernetes run (with a job runner) has streams job-runner and
	// driver, a local run stdout and stderr, as before shipping.
	role, streams, kube := RoleDriver, []string{Stdout, Stderr}, true
	switch stream {
	case runtime.StreamJobRunner:
		role = RoleJobRunner
	case runtime.StreamDriver:
	case runtime.StreamStdout, runtime.StreamStderr:
		streams, kube = []string{stream}, false
	default:
		return nil, fmt.Errorf("%s: %w", stream, runtime.ErrLogNotFound)
	}
	r, cs, err := s.shipped(ctx, run)
	if err != nil {
		return nil, err
	}
	var newest *ShippedContainer
	hasRunner := false
	for _, c := range cs {
		hasRunner = hasRunner || c.Role == RoleJobRunner
		if c.Role == role && (newest == nil || c.Modified.After(newest.Modified)) {
			newest = c
		}
	}
	if newest == nil || hasRunner != kube {
		return nil, fmt.Errorf("%s of %s: nothing shipped: %w", stream, run.ID, runtime.ErrLogNotFound)
	}
	return readStreams(ctx, r, newest, streams)
}

// LiveContainers is a LogOpener that also serves the containers of runs
// live (runtime.LogSource, over runtimes that implement
// runtime.LiveContainerLogs).
type LiveContainers interface {
	Containers(ctx context.Context, run *emr.JobRun) ([]runtime.ContainerLog, error)
	OpenContainer(ctx context.Context, run *emr.JobRun, container, stream string) (io.ReadCloser, error)
}

// Containers lists the containers of a run whose logs S3 holds, then
// those its runtime serves live that S3 does not hold yet.
func (s *Source) Containers(ctx context.Context, run *emr.JobRun) ([]runtime.ContainerLog, error) {
	out := []runtime.ContainerLog{}
	r, cs, err := s.shipped(ctx, run)
	switch {
	case err == nil:
		for _, c := range cs {
			out = append(out, runtime.ContainerLog{Name: c.Pod, Role: c.Role, SparkApplicationID: c.AppID, Streams: c.Streams,
				Location: "s3://" + r.bucket + "/" + r.prefix + c.dir + "/"})
		}
	case !errors.Is(err, runtime.ErrLogNotFound):
		return nil, err
	}
	if live, ok := s.base.(LiveContainers); ok && !run.State.Terminal() {
		lcs, err := live.Containers(ctx, run)
		if err != nil {
			return nil, err
		}
		for _, lc := range lcs {
			if !slices.ContainsFunc(out, func(c runtime.ContainerLog) bool { return c.Name == lc.Name }) {
				out = append(out, lc)
			}
		}
	}
	return out, nil
}

// OpenContainer opens stream (stdout or stderr) of the run's container
// named pod: while the run runs, live from its runtime if it serves it,
// else (and once it ended) from S3, else from its runtime if its pod is
// still there; an error wrapping runtime.ErrLogNotFound when none has it.
func (s *Source) OpenContainer(ctx context.Context, run *emr.JobRun, pod, stream string) (io.ReadCloser, error) {
	if live, ok := s.base.(LiveContainers); ok && !run.State.Terminal() {
		rc, err := live.OpenContainer(ctx, run, pod, stream)
		if err == nil || !errors.Is(err, runtime.ErrLogNotFound) {
			return rc, err
		}
	}
	r, cs, err := s.shipped(ctx, run)
	if err != nil && !errors.Is(err, runtime.ErrLogNotFound) {
		return nil, err
	}
	for _, c := range cs {
		if c.Pod == pod {
			return readStreams(ctx, r, c, []string{stream})
		}
	}
	if live, ok := s.base.(LiveContainers); ok && run.State.Terminal() {
		return live.OpenContainer(ctx, run, pod, stream) // an ended run's pods that are still there
	}
	return nil, fmt.Errorf("container %s of %s: nothing shipped: %w", pod, run.ID, runtime.ErrLogNotFound)
}

// shipped lists what S3 holds of the run; an error wrapping
// runtime.ErrLogNotFound when the run ships nothing there.
func (s *Source) shipped(ctx context.Context, run *emr.JobRun) (*Reader, []*ShippedContainer, error) {
	if s.readers == nil {
		return nil, nil, fmt.Errorf("no logUri: %w", runtime.ErrLogNotFound)
	}
	r, err := s.readers(ctx, run)
	if err != nil {
		return nil, nil, err
	}
	if r == nil {
		return nil, nil, fmt.Errorf("no logUri: %w", runtime.ErrLogNotFound)
	}
	cs, err := r.Containers(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("list the shipped logs of %s: %w", run.ID, err)
	}
	return r, cs, nil
}

// readStreams reads streams of c, one after the other; ErrLogNotFound
// when c has none of them.
func readStreams(ctx context.Context, r *Reader, c *ShippedContainer, streams []string) (io.ReadCloser, error) {
	var out []byte
	found := false
	for _, st := range streams {
		b, err := r.Read(ctx, c, st)
		if errors.Is(err, ErrNotShipped) {
			continue
		}
		if err != nil {
			return nil, err
		}
		found = true
		out = append(out, b...)
	}
	if !found {
		return nil, fmt.Errorf("%v of %s: %w", streams, c.Pod, runtime.ErrLogNotFound)
	}
	return io.NopCloser(bytes.NewReader(out)), nil
}
