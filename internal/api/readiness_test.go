package api_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// TestReadyzFollowsTheStore: /readyz answers 200 while the store answers,
// 503 "store: unavailable" once it cannot, without credentials on a server
// that requires them, and without saying why beyond that (the cause is
// logged).
func TestReadyzFollowsTheStore(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	var logs bytes.Buffer
	refuseAll := &headerAuth{verdict: func(api.Request) api.Verdict { return api.ImplicitDeny }}
	srv := httptest.NewServer(api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Auth: refuseAll, Logger: slog.New(slog.NewTextHandler(&logs, nil))}))
	t.Cleanup(srv.Close)
	get := func() (int, string) {
		t.Helper()
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	if code, body := get(); code != http.StatusOK || body != "ok\n" {
		t.Fatalf("GET /readyz with the store up = %d %q, want 200 \"ok\\n\"", code, body)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	code, body := get()
	if code != http.StatusServiceUnavailable || body != "store: unavailable\n" {
		t.Fatalf("GET /readyz with the store closed = %d %q, want 503 \"store: unavailable\\n\"", code, body)
	}
	if !strings.Contains(logs.String(), "closed") {
		t.Errorf("the cause is not logged; log:\n%s", logs.String())
	}
	// /healthz stays up: liveness must not restart a server for its database.
	resp, err := http.Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("GET /healthz with the store closed = %d, want 200", resp.StatusCode)
	}
}
