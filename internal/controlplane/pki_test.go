package controlplane

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// The kubelet certificates are the CA's, for their one use each, and a
// kept folder written before they existed keeps its CA and gains them.
func TestKubeletCertificates(t *testing.T) {
	dir := t.TempDir()
	ip := net.ParseIP("127.0.0.9")
	caPEM, err := writePKI(dir, ip)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{kubeletClientCertFile, kubeletClientKeyFile, kubeletServingCertFile, kubeletServingKeyFile} {
		if err := os.Remove(filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	again, err := loadOrWritePKI(dir, ip)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, caPEM) {
		t.Fatal("adding the kubelet certificates made a new CA")
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(caPEM)
	load := func(certFile, keyFile string) *x509.Certificate {
		t.Helper()
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, certFile), filepath.Join(dir, keyFile))
		if err != nil {
			t.Fatal(err)
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	client := load(kubeletClientCertFile, kubeletClientKeyFile)
	if client.Subject.CommonName != KubeletClientName {
		t.Errorf("client certificate of %q, want %q", client.Subject.CommonName, KubeletClientName)
	}
	if _, err := client.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err != nil {
		t.Errorf("client certificate: %v", err)
	}
	serving := load(kubeletServingCertFile, kubeletServingKeyFile)
	if _, err := serving.Verify(x509.VerifyOptions{Roots: pool, DNSName: "127.0.0.1"}); err != nil {
		t.Errorf("serving certificate for 127.0.0.1: %v", err)
	}
	if _, err := serving.Verify(x509.VerifyOptions{Roots: pool, KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}}); err == nil {
		t.Error("the serving certificate is also a client certificate")
	}
	if !kubeletCertsValid(dir) {
		t.Error("kubeletCertsValid is false after loadOrWritePKI")
	}
}
