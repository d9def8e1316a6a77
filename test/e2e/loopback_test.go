package e2e

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/config"
)

// TestLoopbackServerServesLoopbackHostsOnly: a server without credentials
// on loopback answers requests addressed to a loopback host only. A web
// page the operator visits can otherwise drive it: cross-site with a
// text/plain POST (no CORS preflight), or as its own origin after DNS
// rebinding (Host: the attacker's name); so can anyone a reverse proxy on
// the host forwards. Such requests are refused and create nothing; the
// SDK, addressing 127.0.0.1, is served.
func TestLoopbackServerServesLoopbackHostsOnly(t *testing.T) {
	s := startServer(t, "")
	tmpl := `{"name":"evil","clientToken":"%s","jobTemplateData":{"executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py"}}}}`
	post := func(token, host, origin string) int {
		t.Helper()
		req, _ := http.NewRequest("POST", s.URL+"/jobtemplates", strings.NewReader(strings.Replace(tmpl, "%s", token, 1)))
		req.Header.Set("Content-Type", "text/plain;charset=UTF-8")
		if host != "" {
			req.Host = host
		}
		if origin != "" {
			req.Header.Set("Origin", origin)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	port := s.URL[strings.LastIndex(s.URL, ":")+1:]
	for _, c := range []struct{ what, host, origin string }{
		{"DNS rebinding (Host names another domain)", "rebind.attacker.example:" + port, "http://rebind.attacker.example:" + port},
		{"Host names another domain (a reverse proxy)", "sparkplane.example.com", ""},
		{"a cross-site browser POST", "", "https://attacker.example"},
		{"a sandboxed page's POST", "", "null"},
	} {
		if code := post("t-"+strings.Fields(c.what)[0]+strings.Fields(c.what)[1], c.host, c.origin); code != http.StatusForbidden {
			t.Errorf("%s: HTTP %d; want 403", c.what, code)
		}
	}
	out, err := s.Client.ListJobTemplates(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Templates) != 0 {
		t.Errorf("%d job templates created by refused requests; want none", len(out.Templates))
	}
	for _, host := range []string{"", "localhost:" + port, "[::1]:" + port} {
		if code := post("ok-"+host, host, ""); code != http.StatusOK {
			t.Errorf("POST with Host %q: HTTP %d; want 200", host, code)
		}
	}
	if code := post("ok-origin", "", "http://localhost:3000"); code != http.StatusOK {
		t.Errorf("POST from a loopback origin: HTTP %d; want 200", code)
	}
	// --insecure-no-auth serves every caller, as it says.
	open := startServerWith(t, "", func(c *config.Config) { c.Security.InsecureNoAuth = true })
	req, _ := http.NewRequest("GET", open.URL+"/virtualclusters", nil)
	req.Host = "sparkplane.example.com"
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("--insecure-no-auth, Host sparkplane.example.com: HTTP %d; want 200", resp.StatusCode)
	}
}
