package config

import (
	"fmt"
	"net"
)

// Metrics configure the Prometheus endpoint, /metrics (see package metrics).
//
// Who may read it: with BearerTokenFile, any caller that sends its token
// (Authorization: Bearer); without, loopback callers only, unless the
// server serves everyone (security.insecureNoAuth).
type Metrics struct {
	// Enabled serves /metrics; unset: true.
	Enabled *bool `json:"enabled"`
	// Address, when set, is a listener of its own (host:port, plain HTTP)
	// that serves /metrics alone; empty: /metrics is served on the API's
	// listener (addr), over TLS when the API is.
	Address string `json:"address"`
	// BearerTokenFile holds the token a scrape must carry (the file's
	// content, blanks around it trimmed; read when the server starts).
	BearerTokenFile string `json:"bearerTokenFile"`
	// Profiling also serves Go's runtime profiles (heap, goroutines, CPU)
	// at /debug/pprof/, next to /metrics and to the same callers; off
	// unless set.
	Profiling bool `json:"profiling"`
}

// On says whether /metrics is served.
func (m Metrics) On() bool { return m.Enabled == nil || *m.Enabled }

func (m Metrics) validate(insecureNoAuth bool) error {
	if m.Address == "" || !m.On() {
		return nil
	}
	if _, _, err := net.SplitHostPort(m.Address); err != nil {
		return fmt.Errorf("metrics.address %q: want host:port: %w", m.Address, err)
	}
	if !Loopback(m.Address) && m.BearerTokenFile == "" && !insecureNoAuth {
		return fmt.Errorf("metrics.address %q listens beyond loopback, but only loopback callers may read metrics "+
			"without a token: set metrics.bearerTokenFile", m.Address)
	}
	return nil
}
