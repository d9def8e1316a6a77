package app

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"testing"

	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// storeWithLogs is a store that keeps logs the way the store will: a
// missing one is store.ErrNotFound.
type storeWithLogs struct {
	store.Store
	logs map[string][]byte
}

func (s storeWithLogs) PutJobRunLog(_ context.Context, vc, run string, attempt int, stream string, data []byte) error {
	s.logs[fmt.Sprint(vc, run, attempt, stream)] = data
	return nil
}

func (s storeWithLogs) JobRunLog(_ context.Context, vc, run string, attempt int, stream string) ([]byte, error) {
	if b, ok := s.logs[fmt.Sprint(vc, run, attempt, stream)]; ok {
		return b, nil
	}
	return nil, fmt.Errorf("job run log: %w", store.ErrNotFound)
}

// The store's not-found reads as runtime.ErrLogNotFound; a store that keeps
// no logs gives no archive.
func TestLogArchive(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if a := logArchive(st); a != nil { // once the store keeps logs
		if _, err := a.JobRunLog(context.Background(), "vc", "run", 1, "stdout"); !errors.Is(err, runtime.ErrLogNotFound) {
			t.Errorf("the store's archive answers a missing log with %v, want ErrLogNotFound", err)
		}
	}
	a := logArchive(storeWithLogs{Store: st, logs: map[string][]byte{}})
	if a == nil {
		t.Fatal("no archive from a store that keeps logs")
	}
	ctx := context.Background()
	if err := a.PutJobRunLog(ctx, "vc", "run", 2, "stdout", []byte("out")); err != nil {
		t.Fatal(err)
	}
	if b, err := a.JobRunLog(ctx, "vc", "run", 2, "stdout"); err != nil || string(b) != "out" {
		t.Errorf("JobRunLog = %q, %v", b, err)
	}
	_, err = a.JobRunLog(ctx, "vc", "run", 1, "stdout")
	if !errors.Is(err, runtime.ErrLogNotFound) || !errors.Is(err, store.ErrNotFound) {
		t.Errorf("missing log: %v, want ErrLogNotFound (wrapping the store's)", err)
	}
}
