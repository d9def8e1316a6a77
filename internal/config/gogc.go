package config

import "fmt"

// GCPercent is the garbage-collection target the configuration sets (goGC),
// and false when it sets none: the Go runtime's own then applies (GOGC
// when set in the environment, else 100).
func (c Config) GCPercent() (int, bool) {
	if c.GoGC == nil {
		return 0, false
	}
	return *c.GoGC, true
}

func validGoGC(p *int) error {
	if p != nil && (*p < 10 || *p > 1000) {
		return fmt.Errorf("goGC %d: want a percentage from 10 to 1000 (Go's default is 100)", *p)
	}
	return nil
}
