package api

import (
	"context"
	"net/http"
	"time"
)

// readinessTimeout bounds the store check of one readiness probe.
const readinessTimeout = 2 * time.Second

// readyz answers GET /readyz, the readiness probe: 200 "ok" while the store
// answers a query within readinessTimeout, else 503 "store: unavailable".
// Like /healthz it needs no credentials, so it says nothing more (the
// cause is logged).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), readinessTimeout)
	defer cancel()
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := s.store.Ping(ctx); err != nil {
		s.opts.Logger.Warn("readiness: the store does not answer", "err", err)
		w.WriteHeader(http.StatusServiceUnavailable)
		_, _ = w.Write([]byte("store: unavailable\n"))
		return
	}
	_, _ = w.Write([]byte("ok\n"))
}
