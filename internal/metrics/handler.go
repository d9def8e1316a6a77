package metrics

import (
	"crypto/subtle"
	"net"
	"net/http"
	"net/url"
	"strings"

	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/sparkplane/sparkplane/internal/auth"
)

// Path is where a server serves its metrics.
const Path = "/metrics"

// Access says who may read the metrics.
//
// With a Token, a scrape must carry it (Authorization: Bearer <token>),
// whoever sends it. Without one, only loopback may read: a connection from
// a loopback address, addressed to a loopback host (Host header), not sent
// by a web page of another origin (so neither a reverse proxy nor DNS
// rebinding lets a remote caller in), unless Open.
type Access struct {
	// Token, when set, is the bearer token every scrape must send.
	Token string
	// Open serves every caller without a token (a server that serves its
	// API to anyone: --insecure-no-auth).
	Open bool
}

// Handler serves m in the Prometheus text format to the callers a lets in;
// it refuses the others with 401 (a token is required) or 403.
func (m *Metrics) Handler(a Access) http.Handler {
	h := promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "metrics are read with GET", http.StatusMethodNotAllowed)
			return
		}
		if !a.refused(w, r, "metrics") {
			h.ServeHTTP(w, r)
		}
	})
}

// refused answers r with 401 (a token is required) or 403 and returns
// true when a does not let its caller read what (metrics, profiles).
func (a Access) refused(w http.ResponseWriter, r *http.Request, what string) bool {
	if a.Token != "" {
		got, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		if !ok || subtle.ConstantTimeCompare([]byte(strings.TrimSpace(got)), []byte(a.Token)) != 1 {
			w.Header().Set("WWW-Authenticate", `Bearer realm="sparkplane metrics"`)
			http.Error(w, what+" need the bearer token of metrics.bearerTokenFile", http.StatusUnauthorized)
			return true
		}
		return false
	}
	if a.Open || fromLoopback(r) {
		return false
	}
	http.Error(w, what+" are served to loopback only; set metrics.bearerTokenFile to let a remote caller read them", http.StatusForbidden)
	return true
}

// fromLoopback says whether r came from loopback, for loopback, and not
// from a web page of another origin.
func fromLoopback(r *http.Request) bool {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		return false
	}
	if !auth.LoopbackHost(r.Host) {
		return false
	}
	for _, o := range r.Header.Values("Origin") {
		u, err := url.Parse(o)
		if err != nil || u.Host == "" || !auth.LoopbackHost(u.Host) {
			return false
		}
	}
	return true
}
