package storetest

import (
	"fmt"
	"sync"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// BenchQueuedVirtualClusters times QueuedVirtualClusters on s with pending
// runs PENDING in one virtual cluster and one in each of four others.
func BenchQueuedVirtualClusters(b *testing.B, s store.Store, pending int) {
	var gen emr.JobRunIDs
	var vcs []*emr.VirtualCluster
	for i := range 5 {
		vcs = append(vcs, MustCreateVirtualCluster(b, s, NewVirtualCluster("prod", fmt.Sprint("ns-", i), Epoch)))
		MustCreateJobRun(b, s, NewJobRun(&gen, vcs[i].ID, "pi", Epoch))
	}
	runs := make(chan *emr.JobRun, 1024)
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			for run := range runs {
				MustCreateJobRun(b, s, run)
			}
		})
	}
	for range pending - 1 {
		runs <- NewJobRun(&gen, vcs[0].ID, "pi", Epoch)
	}
	close(runs)
	wg.Wait()
	b.ResetTimer()
	for b.Loop() {
		if ids, err := s.QueuedVirtualClusters(b.Context()); err != nil || len(ids) != 5 {
			b.Fatalf("QueuedVirtualClusters() = %v, %v", ids, err)
		}
	}
}
