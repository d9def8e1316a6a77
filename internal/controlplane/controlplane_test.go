package controlplane_test

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/controlplane"
)

// start starts an Env and fails (never skips) the test if it cannot: a
// missing or unbuildable binary is a real failure.
func start(t *testing.T, opts controlplane.Options) *controlplane.Env {
	t.Helper()
	opts.Logf = t.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	begin := time.Now()
	env, err := controlplane.Start(ctx, opts)
	if err != nil {
		t.Fatalf("controlplane.Start: %v", err)
	}
	t.Logf("control plane up in %v", time.Since(begin).Round(time.Millisecond))
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs:%s", env.LogTails(60))
		}
		if err := env.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return env
}

// client builds a client from the exported CAFile and Token only, as a
// caller without controlplane.HTTPClient would.
func client(t *testing.T, env *controlplane.Env) (*http.Client, func(path string) (int, []byte)) {
	t.Helper()
	caPEM, err := os.ReadFile(env.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		t.Fatal("CAFile holds no certificate")
	}
	c := &http.Client{
		Timeout:   10 * time.Second,
		Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}},
	}
	get := func(path string) (int, []byte) {
		t.Helper()
		req, err := http.NewRequest(http.MethodGet, env.Host+path, nil)
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Authorization", "Bearer "+env.Token)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatalf("GET %s: %v", path, err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatalf("GET %s: read body: %v", path, err)
		}
		return resp.StatusCode, body
	}
	return c, get
}

type objectMeta struct {
	Kind     string `json:"kind"`
	Metadata struct {
		Name string `json:"name"`
	} `json:"metadata"`
}

func TestAPIServer(t *testing.T) {
	env := start(t, controlplane.Options{})
	if !strings.HasPrefix(env.Host, "https://127.0.0.1:") {
		t.Errorf("Host = %q, want https://127.0.0.1:PORT", env.Host)
	}
	_, get := client(t, env)

	if code, body := get("/readyz"); code != http.StatusOK {
		t.Fatalf("GET /readyz = %d: %s", code, body)
	}
	code, body := get("/api/v1/namespaces/default")
	if code != http.StatusOK {
		t.Fatalf("GET namespace default = %d: %s", code, body)
	}
	var ns objectMeta
	if err := json.Unmarshal(body, &ns); err != nil {
		t.Fatalf("decode namespace: %v: %s", err, body)
	}
	if ns.Kind != "Namespace" || ns.Metadata.Name != "default" {
		t.Errorf("got kind %q name %q, want Namespace default", ns.Kind, ns.Metadata.Name)
	}

	code, body = get("/version")
	if code != http.StatusOK || !strings.Contains(string(body), `"gitVersion": "`+controlplane.KubeVersion+`"`) {
		t.Errorf("GET /version = %d: %s, want gitVersion %s", code, body, controlplane.KubeVersion)
	}

	kubeconfig, err := os.ReadFile(env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"current-context: " + controlplane.ContextName, "server: " + env.Host, "token: " + env.Token} {
		if !strings.Contains(string(kubeconfig), want) {
			t.Errorf("kubeconfig lacks %q", want)
		}
	}

	// Without the token the request is anonymous and RBAC denies it.
	c, _ := client(t, env)
	resp, err := c.Get(env.Host + "/api/v1/namespaces/default")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("anonymous GET namespace = %d, want 401 or 403", resp.StatusCode)
	}
}

func TestControllerManagerCreatesDefaultServiceAccount(t *testing.T) {
	env := start(t, controlplane.Options{ControllerManager: true})
	_, get := client(t, env)

	begin := time.Now()
	deadline := begin.Add(60 * time.Second)
	for {
		code, body := get("/api/v1/namespaces/default/serviceaccounts/default")
		if code == http.StatusOK {
			var sa objectMeta
			if err := json.Unmarshal(body, &sa); err != nil || sa.Metadata.Name != "default" {
				t.Fatalf("decode service account (%v): %s", err, body)
			}
			t.Logf("default ServiceAccount appeared %v after start", time.Since(begin).Round(time.Millisecond))
			return
		}
		if code != http.StatusNotFound {
			t.Fatalf("GET service account = %d: %s", code, body)
		}
		if time.Now().After(deadline) {
			t.Fatalf("default ServiceAccount did not appear within 60s (last status %d)", code)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// A kept Dir is the same cluster after Stop and Start: same CA and token,
// same objects, on the chosen address and port.
func TestKeptDirSurvivesRestart(t *testing.T) {
	dir := t.TempDir()
	opts := controlplane.Options{Dir: dir, Address: "127.0.0.9", ContextName: "kept"}
	env := start(t, opts)
	if !strings.HasPrefix(env.Host, "https://127.0.0.9:") {
		t.Fatalf("Host = %q, want https://127.0.0.9:PORT", env.Host)
	}
	c, _ := client(t, env)
	req, _ := http.NewRequest(http.MethodPost, env.Host+"/api/v1/namespaces",
		strings.NewReader(`{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"kept"}}`))
	req.Header.Set("Authorization", "Bearer "+env.Token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated {
		t.Fatalf("create namespace = %d", resp.StatusCode)
	}
	if err := env.Stop(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(env.KubeconfigPath); err != nil {
		t.Fatalf("Stop removed the kept folder: %v", err)
	}

	opts.Port = 0
	again := start(t, opts)
	if string(again.CAData) != string(env.CAData) || again.Token != env.Token {
		t.Fatal("restart made a new CA or token; clients' kubeconfigs would break")
	}
	_, get := client(t, again)
	if code, body := get("/api/v1/namespaces/kept"); code != http.StatusOK {
		t.Fatalf("namespace lost across restart: %d %s", code, body)
	}
	kubeconfig, err := os.ReadFile(again.KubeconfigPath)
	if err != nil || !strings.Contains(string(kubeconfig), "current-context: kept") {
		t.Fatalf("kubeconfig context: %v\n%s", err, kubeconfig)
	}
}
