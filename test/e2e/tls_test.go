package e2e

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
)

// selfSigned writes a certificate for 127.0.0.1 and its key to dir.
func selfSigned(t *testing.T, dir string) (certFile, keyFile string, pool *x509.CertPool) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "sparkplane test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kb, _ := x509.MarshalECPrivateKey(key)
	certFile, keyFile = filepath.Join(dir, "tls.crt"), filepath.Join(dir, "tls.key")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kb}), 0o600); err != nil {
		t.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	pool = x509.NewCertPool()
	pool.AddCert(cert)
	return certFile, keyFile, pool
}

// TestTLS: with --tls-cert/--tls-key the API is HTTPS only; the SDK reaches
// it with the certificate trusted, and a plain HTTP request gets nothing.
func TestTLS(t *testing.T) {
	certFile, keyFile, pool := selfSigned(t, t.TempDir())
	s := startServerWith(t, "", func(c *config.Config) { c.Security.TLSCert, c.Security.TLSKey = certFile, keyFile })
	if !strings.HasPrefix(s.URL, "https://") {
		t.Fatalf("URL %s; want https://", s.URL)
	}
	hc := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool}}}
	c := emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(s.URL), HTTPClient: hc,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	if _, err := c.ListVirtualClusters(context.Background(), &emrcontainers.ListVirtualClustersInput{}); err != nil {
		t.Fatalf("ListVirtualClusters over TLS: %v", err)
	}
	resp, err := http.Get("http://" + strings.TrimPrefix(s.URL, "https://") + "/virtualclusters")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Error("plain HTTP was served")
		}
	}
}

// TestBeyondLoopbackNeedsCredentials: a server listening beyond loopback
// with no access file refuses to start, saying what to do, unless
// --insecure-no-auth; on loopback it starts with none.
func TestBeyondLoopbackNeedsCredentials(t *testing.T) {
	cfg := config.Default()
	cfg.Addr, cfg.DataDir = "0.0.0.0:0", t.TempDir()
	_, err := app.Open(context.Background(), cfg, nil)
	if err == nil || !strings.Contains(err.Error(), "--insecure-no-auth") || !strings.Contains(err.Error(), "security.access") {
		t.Fatalf("open beyond loopback without credentials: %v; want a refusal naming security.access and --insecure-no-auth", err)
	}
	s := startServerWith(t, "", func(c *config.Config) { c.Addr, c.Security.InsecureNoAuth = "0.0.0.0:0", true })
	if _, err := s.Client.ListVirtualClusters(context.Background(), &emrcontainers.ListVirtualClustersInput{}); err != nil {
		t.Errorf("ListVirtualClusters with --insecure-no-auth: %v", err)
	}
}
