package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
)

// Under sustained writes with readers that never pause, the checkpoints
// still get through: the WAL is truncated instead of growing without bound.
func TestWALStaysBounded(t *testing.T) {
	defer sqlite.SetCheckpointEvery(100 * time.Millisecond)()
	path := filepath.Join(t.TempDir(), "sparkplane.db")
	db := MustOpen(t, path)
	defer MustClose(t, db)
	vc := storetest.MustCreateVirtualCluster(t, db, storetest.NewVirtualCluster("prod", "spark", storetest.Epoch))

	ctx, stop := context.WithCancel(t.Context())
	var readers sync.WaitGroup
	for range 8 {
		readers.Go(func() {
			for ctx.Err() == nil {
				if _, _, err := db.ListJobRuns(ctx, store.JobRunFilter{VirtualClusterID: vc.ID}, store.Page{Limit: 50}); err != nil && ctx.Err() == nil {
					t.Error(err)
					return
				}
			}
		})
	}
	var gen emr.JobRunIDs
	wal, largest := path+"-wal", int64(0)
	for end := time.Now().Add(3 * time.Second); time.Now().Before(end); {
		storetest.MustCreateJobRun(t, db, storetest.NewJobRun(&gen, vc.ID, "pi", time.Now()))
		if fi, err := os.Stat(wal); err == nil {
			largest = max(largest, fi.Size())
		}
	}
	// With the readers still reading, a checkpoint empties the WAL.
	if err := db.Checkpoint(t.Context()); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(wal)
	stop()
	readers.Wait()
	if err != nil {
		t.Fatal(err)
	}
	if fi.Size() != 0 || largest > 64<<20 {
		t.Fatalf("WAL after a checkpoint: %d bytes, at most %d under load; want 0 and under 64 MiB", fi.Size(), largest)
	}
	t.Logf("WAL at most %d bytes under load", largest)
}
