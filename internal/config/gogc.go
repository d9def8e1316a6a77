package config

import "fmt"

// EnvGoGC is the Go runtime's own setting of the garbage collector's target.
const EnvGoGC = "GOGC"

// DefaultGoGC is the server's garbage-collection target when neither the
// configuration (goGC) nor GOGC sets one: a collection once the heap has
// grown by half of what the last one kept, rather than Go's default of all
// of it. The server's heap is mostly caches that live as long as it does
// (the clusters' pods and Jobs), so Go's default keeps nearly as much
// again in garbage; at 50 its memory with 1,000 runs tracked drops by a
// fifth for a few percent more CPU (BENCHMARKS.md).
const DefaultGoGC = 50

// GCPercent is the garbage-collection target the server sets, and false
// when it leaves the Go runtime's own (GOGC set in the environment and
// goGC not in the configuration).
func (c Config) GCPercent() (int, bool) {
	if c.GoGC != nil {
		return *c.GoGC, true
	}
	if c.Env.Get(EnvGoGC) != "" {
		return 0, false
	}
	return DefaultGoGC, true
}

func validGoGC(p *int) error {
	if p != nil && (*p < 10 || *p > 1000) {
		return fmt.Errorf("goGC %d: want a percentage from 10 to 1000 (Go's default is 100)", *p)
	}
	return nil
}
