package logship

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// DefaultInterval is how often the current piece of a stream that grows is
// put again, so that a crash of the server loses little of it.
const DefaultInterval = 30 * time.Second

// Stream ships one stream of one container from a file that grows while
// the container runs (a local run's stdout, or a copy of a pod's log).
type Stream struct {
	dest     Destination
	c        Container
	name     string
	path     string
	rot      Rotation
	interval time.Duration

	mu     sync.Mutex
	start  int64 // where the current piece starts in the file
	index  int   // the current piece's index
	putLen int   // length of the current piece when last put; -1: never put
	putAt  time.Time
	ended  bool
}

// NewStream ships stream (Stdout or Stderr) of container c, read from the
// file at path, to dest, cut by rot; interval ≤ 0 means DefaultInterval.
func NewStream(dest Destination, c Container, stream, path string, rot Rotation, interval time.Duration) *Stream {
	if interval <= 0 {
		interval = DefaultInterval
	}
	return &Stream{dest: dest, c: c, name: stream, path: path, rot: rot, interval: interval, putLen: -1}
}

// Sync puts what the file holds that was not put yet: every piece the file
// completes, then the current piece if it grew and Interval passed since
// it was last put. final says the container ended: the current piece is
// put, complete and Final, whatever its size (a file that does not exist
// is an empty stream), and later calls do nothing.
func (s *Stream) Sync(ctx context.Context, final bool) error { return s.sync(ctx, final, false) }

// Flush is Sync that puts the current piece now if it grew, whatever the
// interval.
func (s *Stream) Flush(ctx context.Context) error { return s.sync(ctx, false, true) }

func (s *Stream) sync(ctx context.Context, final, now bool) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ended {
		return nil
	}
	f, err := os.Open(s.path)
	if errors.Is(err, os.ErrNotExist) && final {
		f = nil
	} else if err != nil {
		return fmt.Errorf("log %s: %w", s.path, err)
	}
	if f != nil {
		defer f.Close()
	}
	for s.rot.Size > 0 && f != nil {
		buf := make([]byte, s.rot.Size+1)
		n, err := f.ReadAt(buf, s.start)
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("log %s: %w", s.path, err)
		}
		k := cut(buf[:n], s.rot.Size)
		if k == 0 {
			break
		}
		if err := s.put(ctx, buf[:k], true, false); err != nil {
			return err
		}
		s.start += int64(k)
		s.index++
		s.putLen = -1
	}
	if !final && !now && time.Since(s.putAt) < s.interval {
		return nil
	}
	var cur []byte
	if f != nil {
		if cur, err = readFrom(f, s.start); err != nil {
			return fmt.Errorf("log %s: %w", s.path, err)
		}
	}
	if !final && len(cur) == s.putLen {
		return nil
	}
	if err := s.put(ctx, cur, false, final); err != nil {
		return err
	}
	s.putLen, s.putAt, s.ended = len(cur), time.Now(), final
	return nil
}

func (s *Stream) put(ctx context.Context, data []byte, rotated, final bool) error {
	p := Piece{Container: s.c, Stream: s.name, Index: s.index, Data: data, Rotated: rotated, Final: final}
	if err := s.dest.Put(ctx, p); err != nil {
		return fmt.Errorf("ship %s of %s: %w", s.name, s.c.Pod, err)
	}
	return nil
}

// readFrom reads f from offset off to its end.
func readFrom(f *os.File, off int64) ([]byte, error) {
	if _, err := f.Seek(off, io.SeekStart); err != nil {
		return nil, err
	}
	return io.ReadAll(f)
}
