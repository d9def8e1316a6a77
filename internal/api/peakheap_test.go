package api_test

import (
	"runtime"
	"sync"
	"time"
)

// peakHeap samples HeapInuse until stopped and reports how far it rose
// above where it started.
type peakHeap struct {
	base, peak uint64
	done       chan struct{}
	wg         sync.WaitGroup
}

func (p *peakHeap) start() {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	p.base, p.peak, p.done = ms.HeapInuse, ms.HeapInuse, make(chan struct{})
	p.wg.Go(func() {
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				runtime.ReadMemStats(&ms)
				p.peak = max(p.peak, ms.HeapInuse)
			}
		}
	})
}

func (p *peakHeap) stop() uint64 {
	close(p.done)
	p.wg.Wait()
	return p.peak - p.base
}
