package controlplane

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// startEnv starts an Env for a test of this package and stops it at the
// end.
func startEnv(t *testing.T, opts Options) *Env {
	t.Helper()
	opts.Logf = t.Logf
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	e, err := Start(ctx, opts)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("process logs:%s", e.LogTails(60))
		}
		if err := e.Stop(); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	return e
}

// do sends a request with body (JSON, or none when empty) and returns the
// status and body.
func do(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", method, url, err)
	}
	return resp.StatusCode, string(data)
}

// etcd answers only clients with a certificate of its own CA, on its
// client and its peer port, while the apiserver (which has one) works.
func TestEtcdRequiresClientCertificate(t *testing.T) {
	e := startEnv(t, Options{})
	api := e.HTTPClient()
	if code, body := do(t, api, http.MethodPost, e.Host+"/api/v1/namespaces", `{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"etcd-tls"}}`); code != http.StatusCreated {
		t.Fatalf("create namespace = %d: %s", code, body)
	}
	if code, body := do(t, api, http.MethodGet, e.Host+"/api/v1/namespaces/etcd-tls", ""); code != http.StatusOK {
		t.Fatalf("get namespace = %d: %s", code, body)
	}

	if !strings.HasPrefix(e.etcdURL, "https://127.0.0.1:") || !strings.HasPrefix(e.etcdPeerURL, "https://127.0.0.1:") {
		t.Fatalf("etcd URLs %s, %s; want https://127.0.0.1:PORT", e.etcdURL, e.etcdPeerURL)
	}
	etcd, err := e.etcdHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	if code, body := do(t, etcd, http.MethodGet, e.etcdURL+"/health", ""); code != http.StatusOK {
		t.Fatalf("GET /health with the apiserver's etcd certificate = %d: %s", code, body)
	}

	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(readFile(t, filepath.Join(e.Dir, etcdCACertFile)))
	// The cluster CA's client certificate stands for any certificate of
	// another CA, and for the one most at hand (kube-controller-manager
	// signs CSRs with that CA).
	kubelet, err := tls.LoadX509KeyPair(filepath.Join(e.Dir, kubeletClientCertFile), filepath.Join(e.Dir, kubeletClientKeyFile))
	if err != nil {
		t.Fatal(err)
	}
	clients := map[string]*http.Client{
		"no client certificate": {Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool}}},
		"the cluster CA's certificate": {Timeout: 5 * time.Second, Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{kubelet}}}},
	}
	key := base64.StdEncoding.EncodeToString([]byte("/registry/namespaces/etcd-tls"))
	for name, c := range clients {
		for _, url := range []string{e.etcdURL + "/health", e.etcdURL + "/v3/kv/range", e.etcdPeerURL + "/members"} {
			resp, err := c.Post(url, "application/json", strings.NewReader(`{"key":"`+key+`"}`))
			if err == nil {
				resp.Body.Close()
				t.Errorf("%s: POST %s = %d, want the TLS handshake refused", name, url, resp.StatusCode)
			}
		}
	}
	for _, url := range []string{e.etcdURL, e.etcdPeerURL} {
		plain := "http://" + strings.TrimPrefix(url, "https://")
		resp, err := http.Post(plain+"/v3/kv/range", "application/json", strings.NewReader(`{"key":"`+key+`"}`))
		if err != nil {
			continue
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || strings.Contains(string(body), "kvs") {
			t.Errorf("POST %s/v3/kv/range = %d: %s, want refused", plain, resp.StatusCode, body)
		}
	}
}

// A kept folder written before etcd had TLS (plain HTTP on both ports, no
// etcd certificates, the folder open to others) gets etcd's certificates
// on Start and keeps etcd's data, now behind them.
func TestEtcdLegacyFolder(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 9*time.Minute)
	defer cancel()
	bins, err := findBinaries(ctx, t.Logf)
	if err != nil {
		t.Fatal(err)
	}
	ports, err := etcdPorts(dir, true)
	if err != nil {
		t.Fatal(err)
	}
	clientURL := fmt.Sprintf("http://127.0.0.1:%d", ports[0])
	peerURL := fmt.Sprintf("http://127.0.0.1:%d", ports[1])
	legacy := &Env{Dir: dir}
	p, err := startProcess(dir, "etcd", bins.etcd, "--name=sparkplane", "--data-dir="+filepath.Join(dir, "etcd"),
		"--listen-client-urls="+clientURL, "--advertise-client-urls="+clientURL,
		"--listen-peer-urls="+peerURL, "--initial-advertise-peer-urls="+peerURL, "--initial-cluster=sparkplane="+peerURL)
	if err != nil {
		t.Fatal(err)
	}
	legacy.procs = append(legacy.procs, p)
	if err := legacy.waitOK(ctx, http.DefaultClient, clientURL+"/health", 30*time.Second); err != nil {
		p.stop(10 * time.Second)
		t.Fatalf("legacy etcd: %v%s", err, legacy.logTails(40))
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	put := `{"key":"` + b64("/legacy/kept") + `","value":"` + b64("yes") + `"}`
	code, body := do(t, http.DefaultClient, http.MethodPost, clientURL+"/v3/kv/put", put)
	p.stop(10 * time.Second)
	if code != http.StatusOK {
		t.Fatalf("put on the legacy etcd = %d: %s", code, body)
	}

	e := startEnv(t, Options{Dir: dir})
	if e.etcdURL != "https://"+strings.TrimPrefix(clientURL, "http://") {
		t.Errorf("etcd URL %s, want the kept port over https", e.etcdURL)
	}
	etcd, err := e.etcdHTTPClient()
	if err != nil {
		t.Fatal(err)
	}
	code, body = do(t, etcd, http.MethodPost, e.etcdURL+"/v3/kv/range", `{"key":"`+b64("/legacy/kept")+`"}`)
	var got struct {
		Kvs []struct{ Value []byte }
	}
	if err := json.Unmarshal([]byte(body), &got); code != http.StatusOK || err != nil || len(got.Kvs) != 1 || string(got.Kvs[0].Value) != "yes" {
		t.Fatalf("range over TLS = %d: %s (%v); want the legacy key", code, body, err)
	}
	code, body = do(t, etcd, http.MethodPost, e.etcdURL+"/v3/cluster/member/list", "{}")
	if code != http.StatusOK || !strings.Contains(body, `"peerURLs":["`+e.etcdPeerURL+`"]`) {
		t.Errorf("member list = %d: %s; want peer URL %s", code, body, e.etcdPeerURL)
	}
	if code, body := do(t, e.HTTPClient(), http.MethodGet, e.Host+"/api/v1/namespaces/default", ""); code != http.StatusOK {
		t.Fatalf("get namespace = %d: %s", code, body)
	}
	if resp, err := http.Get(clientURL + "/health"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("etcd still answers plain HTTP")
		}
	}

	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v (%v), want 0700", st.Mode().Perm(), err)
	}
	keys, _ := filepath.Glob(filepath.Join(dir, "*.key"))
	if len(keys) < 6 {
		t.Errorf("only %d keys in the folder: %v", len(keys), keys)
	}
	for _, k := range keys {
		if st, err := os.Stat(k); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s mode %v (%v), want 0600", filepath.Base(k), st.Mode().Perm(), err)
		}
	}
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
