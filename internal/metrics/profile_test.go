package metrics_test

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/metrics"
)

func TestProfilesServedToMetricsCallersOnly(t *testing.T) {
	get := func(a metrics.Access, remote, path, auth string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080"+path, nil)
		r.RemoteAddr = remote
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		w := httptest.NewRecorder()
		metrics.ProfileHandler(a).ServeHTTP(w, r)
		return w
	}
	const remote, local = "192.0.2.7:40000", "127.0.0.1:40000"
	heap := metrics.ProfilePath + "heap"

	w := get(metrics.Access{}, local, heap, "")
	if w.Code != http.StatusOK {
		t.Fatalf("loopback heap profile: status %d: %s", w.Code, w.Body)
	}
	zr, err := gzip.NewReader(w.Body)
	if err != nil {
		t.Fatalf("the heap profile is not gzipped protobuf: %v", err)
	}
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(raw, []byte("inuse_space")) {
		t.Errorf("the heap profile has no inuse_space samples")
	}
	if w := get(metrics.Access{}, local, metrics.ProfilePath, ""); w.Code != http.StatusOK || !strings.Contains(w.Body.String(), "goroutine") {
		t.Errorf("index: status %d, body lists no goroutine profile", w.Code)
	}
	if w := get(metrics.Access{}, local, metrics.ProfilePath+"cmdline", ""); w.Code == http.StatusOK && !strings.Contains(w.Body.String(), "Types of profiles") {
		t.Errorf("cmdline is served (%q): the server's command line is not a profile", w.Body)
	}
	if w := get(metrics.Access{}, remote, heap, ""); w.Code != http.StatusForbidden || !strings.Contains(w.Body.String(), "loopback") {
		t.Errorf("remote without a token: status %d %q, want 403 saying loopback", w.Code, w.Body)
	}
	token := metrics.Access{Token: "s3cret"}
	if w := get(token, local, heap, ""); w.Code != http.StatusUnauthorized || w.Header().Get("WWW-Authenticate") == "" {
		t.Errorf("token set, none sent: status %d, want 401 with WWW-Authenticate", w.Code)
	}
	if w := get(token, remote, heap, "Bearer s3cret"); w.Code != http.StatusOK {
		t.Errorf("remote with the token: status %d", w.Code)
	}
}
