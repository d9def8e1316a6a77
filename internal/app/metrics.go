package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/controller"
	"github.com/sparkplane/sparkplane/internal/metrics"
	"github.com/sparkplane/sparkplane/internal/store"
)

// serverMetrics are a server's Prometheus metrics and where they are
// served; a nil *serverMetrics (metrics.enabled: false) serves none.
type serverMetrics struct {
	m       *metrics.Metrics
	access  metrics.Access
	profile http.Handler // metrics.profiling; nil: off
	ln      net.Listener // metrics.address; nil: on the API's listener
	log     *slog.Logger
}

// newServerMetrics returns the metrics of cfg's server over st, nil when
// they are off.
func newServerMetrics(cfg config.Config, st store.Store, leased *controller.Leased, clusters []string, log *slog.Logger) (*serverMetrics, error) {
	if !cfg.Metrics.On() {
		return nil, nil
	}
	access := metrics.Access{Open: cfg.Security.InsecureNoAuth}
	if f := cfg.Metrics.BearerTokenFile; f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, fmt.Errorf("metrics.bearerTokenFile: %w", err)
		}
		if access.Token = strings.TrimSpace(string(b)); access.Token == "" {
			return nil, fmt.Errorf("metrics.bearerTokenFile %s is empty", f)
		}
	}
	m := metrics.New(metrics.Options{Runs: st, Leases: leased.Held, Clusters: clusters, Logger: log})
	s := &serverMetrics{m: m, access: access, log: log}
	if cfg.Metrics.Profiling {
		s.profile = metrics.ProfileHandler(access)
	}
	return s, nil
}

// store is st, timed when metrics are on.
func (s *serverMetrics) store(st store.Store) store.Store {
	if s == nil {
		return st
	}
	return s.m.Store(st)
}

// observer is what the controller tells about its runs; nil when off.
func (s *serverMetrics) observer() controller.Observer {
	if s == nil {
		return nil
	}
	return s.m
}

// requests is what the API tells about its calls; nil when off.
func (s *serverMetrics) requests() api.RequestObserver {
	if s == nil {
		return nil
	}
	return s.m
}

// listen binds metrics.address, if set.
func (s *serverMetrics) listen(cfg config.Config) error {
	if s == nil || cfg.Metrics.Address == "" {
		return nil
	}
	ln, err := net.Listen("tcp", cfg.Metrics.Address)
	if err != nil {
		return fmt.Errorf("listen on metrics.address %s: %w", cfg.Metrics.Address, err)
	}
	s.ln = ln
	return nil
}

// handler is h, the API, with GET /metrics (and the profiles, when on) in
// front when the metrics are served on the API's listener.
func (s *serverMetrics) handler(h http.Handler) http.Handler {
	if s == nil || s.ln != nil {
		return h
	}
	mh := s.m.Handler(s.access)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case r.URL.Path == metrics.Path:
			mh.ServeHTTP(w, r)
		case s.profile != nil && strings.HasPrefix(r.URL.Path, metrics.ProfilePath):
			s.profile.ServeHTTP(w, r)
		default:
			h.ServeHTTP(w, r)
		}
	})
}

// serve serves /metrics (and the profiles) on metrics.address, if set, until ctx ends.
func (s *serverMetrics) serve(ctx context.Context) {
	if s == nil || s.ln == nil {
		return
	}
	mux := http.NewServeMux()
	mux.Handle(metrics.Path, s.m.Handler(s.access))
	if s.profile != nil {
		mux.Handle(metrics.ProfilePath, s.profile)
	}
	hs := &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute,
		WriteTimeout: time.Minute, IdleTimeout: 2 * time.Minute, MaxHeaderBytes: maxHeaderBytes}
	go func() {
		<-ctx.Done()
		_ = hs.Close()
	}()
	if err := hs.Serve(s.ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		s.log.Error("metrics listener stopped", "err", err)
	}
}

// close releases metrics.address when the server does not start.
func (s *serverMetrics) close() {
	if s != nil && s.ln != nil {
		s.ln.Close()
	}
}
