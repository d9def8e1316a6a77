package nodeagent

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"log/slog"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The apiserver reaches the kubelet API (pods/log works), and a client
// without a certificate, or with one from another CA, is refused.
func TestKubeletAPIServesTheAPIServerOnly(t *testing.T) {
	ns := namespace(t)
	createPod(t, ns, shPod("hello", "echo hello"))
	waitPhase(t, ns, "hello", corev1.PodSucceeded)
	if logs := podLogs(t, ns, "hello"); logs != "hello\n" {
		t.Fatalf("logs through the apiserver = %q, want %q", logs, "hello\n")
	}

	node, err := kube.CoreV1().Nodes().Get(context.Background(), DefaultNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	url := fmt.Sprintf("https://127.0.0.1:%d/containerLogs/%s/hello/main", node.Status.DaemonEndpoints.KubeletEndpoint.Port, ns)
	other := newTestCA(t)
	for name, certs := range map[string][]tls.Certificate{
		"no client certificate":     nil,
		"certificate of another CA": {other.issue(t, DefaultKubeletClientName)},
	} {
		t.Run(name, func(t *testing.T) {
			code, body, err := kubeletGet(url, env.CAData, certs)
			if err == nil && code != http.StatusUnauthorized && code != http.StatusForbidden {
				t.Fatalf("GET %s = %d %q, want a refused handshake, 401 or 403", url, code, body)
			}
			t.Logf("refused: code %d, err %v", code, err)
		})
	}
}

// kubeletGet GETs url trusting caPEM for the server and presenting the
// first of certs, if any, even when the server names other CAs (a Go
// client would otherwise not send it).
func kubeletGet(url string, caPEM []byte, certs []tls.Certificate) (int, string, error) {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	present := func(*tls.CertificateRequestInfo) (*tls.Certificate, error) {
		if len(certs) == 0 {
			return &tls.Certificate{}, nil
		}
		return &certs[0], nil
	}
	c := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: pool, GetClientCertificate: present, MinVersion: tls.VersionTLS12}}}
	resp, err := c.Get(url)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// testCA issues certificates for tests.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pem  []byte
}

func newTestCA(t *testing.T) *testCA {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "test-ca"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, key.Public(), key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return &testCA{cert: cert, key: key, pem: pemCert(der)}
}

// issue returns a certificate for name signed by ca, for client
// authentication, or for serving 127.0.0.1 too when serving is set.
func (ca *testCA) issue(t *testing.T, name string, serving ...bool) tls.Certificate {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: name},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}
	if len(serving) > 0 && serving[0] {
		tmpl.ExtKeyUsage = []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
		tmpl.IPAddresses = []net.IP{net.IPv4(127, 0, 0, 1)}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, key.Public(), ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}

func pemCert(der []byte) []byte {
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}

// The kubelet API's TLS and authorisation without a cluster: only a
// certificate of the client CA named as configured gets through.
func TestKubeletAPIAcceptsTheNamedClientOnly(t *testing.T) {
	ca, other := newTestCA(t), newTestCA(t)
	dir := t.TempDir()
	write := func(name string, data []byte) string {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}
	serving := ca.issue(t, "node", true)
	keyDER, err := x509.MarshalPKCS8PrivateKey(serving.PrivateKey)
	if err != nil {
		t.Fatal(err)
	}
	tlsConfig, err := kubeletTLS(write("kubelet.crt", pemCert(serving.Certificate[0])),
		write("kubelet.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})), write("ca.crt", ca.pem))
	if err != nil {
		t.Fatal(err)
	}
	ok := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, "ok") })
	srv := httptest.NewUnstartedServer(onlyClient(DefaultKubeletClientName, slog.New(slog.DiscardHandler), ok))
	srv.TLS = tlsConfig
	srv.Config.ErrorLog = log.New(io.Discard, "", 0)
	srv.StartTLS()
	defer srv.Close()

	for _, tc := range []struct {
		name  string
		certs []tls.Certificate
		want  int // 0: the handshake fails
	}{
		{"the apiserver", []tls.Certificate{ca.issue(t, DefaultKubeletClientName)}, http.StatusOK},
		{"another name of the CA", []tls.Certificate{ca.issue(t, "admin")}, http.StatusForbidden},
		{"a serving certificate of the CA", []tls.Certificate{ca.issue(t, DefaultKubeletClientName, true)}, 0},
		{"the name from another CA", []tls.Certificate{other.issue(t, DefaultKubeletClientName)}, 0},
		{"no certificate", nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body, err := kubeletGet(srv.URL+"/containerLogs/ns/pod/main", ca.pem, tc.certs)
			switch {
			case tc.want == 0 && err == nil:
				t.Fatalf("got %d %q, want a failed handshake", code, body)
			case tc.want != 0 && (err != nil || code != tc.want):
				t.Fatalf("got %d %q (err %v), want %d", code, body, err, tc.want)
			}
		})
	}
}
