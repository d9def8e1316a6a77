package events

import "time"

// Backoff is how long a dispatcher waits before it tries a delivery again:
// Min after the first failure, doubling with each failure after it, at
// most Max.
type Backoff struct {
	Min, Max time.Duration
}

// DefaultBackoff is the back-off of a Dispatcher whose Options give none.
var DefaultBackoff = Backoff{Min: 250 * time.Millisecond, Max: 30 * time.Second}

// Delay is the wait after the failed-th failure in a row (from 1).
func (b Backoff) Delay(failed int) time.Duration {
	if failed < 1 {
		return 0
	}
	d := b.Min
	for range failed - 1 {
		if d >= b.Max/2 {
			return b.Max
		}
		d *= 2
	}
	return min(d, b.Max)
}
