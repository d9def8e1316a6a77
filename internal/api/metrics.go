package api

import "time"

// RequestObserver is told about every answered call (metrics.Metrics).
type RequestObserver interface {
	// ObserveRequest records a call of operation op answered with HTTP
	// status code (0: none written, which net/http answers 200) in d.
	ObserveRequest(op string, code int, d time.Duration)
}

// observe tells Options.Metrics, if any, about the call of op that rec
// answered, started at start.
func (s *Server) observe(op string, rec *recorder, start time.Time) {
	if s.opts.Metrics != nil {
		s.opts.Metrics.ObserveRequest(op, rec.status, time.Since(start))
	}
}
