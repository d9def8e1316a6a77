package e2e

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/metrics"
)

// metricsAccess is a user of the access-file tests' shape: authentication on.
const metricsAccess = `
users:
  - name: admin
    accessKeys: [{id: AKIAADMIN0000000001, secret: admin-secret-0000000000000000000000000}]
    policies: [everything]
policies:
  everything: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["emr-containers:*", "iam:PassRole"], "Resource": "*"}]}
`

// TestMetricsAccess: /metrics is served to loopback callers only, unless a
// bearer token is configured, which every caller must then send; a
// separate metrics.address serves it alone; metrics.enabled: false serves
// nothing; a metrics.address beyond loopback without a token is refused.
func TestMetricsAccess(t *testing.T) {
	remoteIP := nonLoopbackIP(t)
	get := func(url, host, token string) int {
		t.Helper()
		req, _ := http.NewRequest(http.MethodGet, url, nil)
		if host != "" {
			req.Host = host
		}
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		if resp.StatusCode == http.StatusOK && !strings.Contains(string(b), metrics.LeasesHeld) {
			t.Errorf("GET %s: 200 without the metrics:\n%.300s", url, b)
		}
		return resp.StatusCode
	}
	port := func(url string) string { return url[strings.LastIndex(url, ":")+1:] }

	t.Run("loopback server", func(t *testing.T) {
		s := startServer(t, "")
		if code := get(s.URL+metrics.Path, "", ""); code != http.StatusOK {
			t.Errorf("from loopback: HTTP %d, want 200", code)
		}
		if code := get(s.URL+metrics.Path, "metrics.example.com", ""); code != http.StatusForbidden {
			t.Errorf("addressed to another host (a proxy, DNS rebinding): HTTP %d, want 403", code)
		}
	})

	access := filepath.Join(t.TempDir(), "access.yaml")
	writeAccess(t, access, metricsAccess)
	t.Run("authenticated server, no token", func(t *testing.T) {
		s := startServerWith(t, "", func(c *config.Config) { c.Addr, c.Security.Access = "0.0.0.0:0", access })
		remote := "http://" + net.JoinHostPort(remoteIP, port(s.URL)) + metrics.Path
		if code := get(remote, "", ""); code != http.StatusForbidden {
			t.Errorf("from %s: HTTP %d, want 403", remoteIP, code)
		}
		if code := get("http://127.0.0.1:"+port(s.URL)+metrics.Path, "", ""); code != http.StatusOK {
			t.Errorf("from loopback: HTTP %d, want 200", code)
		}
	})

	tokenFile := filepath.Join(t.TempDir(), "metrics-token")
	if err := os.WriteFile(tokenFile, []byte("scrape-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Run("authenticated server, bearer token", func(t *testing.T) {
		s := startServerWith(t, "", func(c *config.Config) {
			c.Addr, c.Security.Access, c.Metrics.BearerTokenFile = "0.0.0.0:0", access, tokenFile
		})
		remote := "http://" + net.JoinHostPort(remoteIP, port(s.URL)) + metrics.Path
		for _, c := range []struct {
			token string
			want  int
		}{{"", 401}, {"scrape-token", 401}, {"scrape-token-0123456789", 200}} {
			if code := get(remote, "", c.token); code != c.want {
				t.Errorf("from %s with token %q: HTTP %d, want %d", remoteIP, c.token, code, c.want)
			}
		}
		if code := get("http://127.0.0.1:"+port(s.URL)+metrics.Path, "", ""); code != http.StatusUnauthorized {
			t.Errorf("from loopback without the token: HTTP %d, want 401", code)
		}
	})

	t.Run("own listener", func(t *testing.T) {
		addr := fmt.Sprintf("127.0.0.1:%d", freePort(t))
		s := startServerWith(t, "", func(c *config.Config) { c.Metrics.Address = addr })
		scrapeMetrics(t, "http://"+addr+metrics.Path, "")
		if code := get(s.URL+metrics.Path, "", ""); code != http.StatusNotFound {
			t.Errorf("/metrics on the API's listener with metrics.address set: HTTP %d, want 404", code)
		}
	})

	t.Run("off", func(t *testing.T) {
		off := false
		s := startServerWith(t, "", func(c *config.Config) { c.Metrics.Enabled = &off })
		if code := get(s.URL+metrics.Path, "", ""); code != http.StatusNotFound {
			t.Errorf("metrics off: HTTP %d, want 404", code)
		}
	})

	t.Run("open listener without a token is refused", func(t *testing.T) {
		cfg := config.Default()
		cfg.Addr, cfg.DataDir, cfg.Metrics.Address = "127.0.0.1:0", t.TempDir(), "0.0.0.0:0"
		a, err := app.Open(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
		if err == nil {
			a.Store.Close()
			t.Fatal("a server with metrics.address 0.0.0.0:0 and no bearerTokenFile opened")
		}
		if !strings.Contains(err.Error(), "metrics.bearerTokenFile") {
			t.Errorf("error %q does not say what to set", err)
		}
	})
}

// nonLoopbackIP is an address of this machine other than loopback, from
// which a connection is a remote caller's.
func nonLoopbackIP(t *testing.T) string {
	t.Helper()
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range addrs {
		if n, ok := a.(*net.IPNet); ok && n.IP.To4() != nil && !n.IP.IsLoopback() && !n.IP.IsLinkLocalUnicast() {
			return n.IP.String()
		}
	}
	t.Fatalf("this machine has no non-loopback IPv4 address to call from: %v", addrs)
	return ""
}
