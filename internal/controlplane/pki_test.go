package controlplane

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
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

// etcd's certificates are its own CA's, not the cluster's; a kept folder
// written before they existed keeps its cluster CA and gains them, and a
// missing certificate is reissued by the etcd CA already there.
func TestEtcdCertificates(t *testing.T) {
	dir := t.TempDir()
	ip := net.ParseIP("127.0.0.1")
	caPEM, err := writePKI(dir, ip) // the PKI as Start wrote it before etcd had TLS
	if err != nil {
		t.Fatal(err)
	}
	if etcdCertsValid(dir) {
		t.Fatal("etcdCertsValid is true without etcd certificates")
	}
	again, err := loadOrWritePKI(dir, ip)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(again, caPEM) {
		t.Fatal("adding the etcd certificates made a new cluster CA")
	}
	if !etcdCertsValid(dir) {
		t.Fatal("etcdCertsValid is false after loadOrWritePKI")
	}
	etcdCAPEM, err := os.ReadFile(filepath.Join(dir, etcdCACertFile))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Equal(etcdCAPEM, caPEM) {
		t.Fatal("etcd's CA is the cluster CA")
	}
	etcdPool, clusterPool := x509.NewCertPool(), x509.NewCertPool()
	etcdPool.AppendCertsFromPEM(etcdCAPEM)
	clusterPool.AppendCertsFromPEM(caPEM)
	parse := func(name string) *x509.Certificate {
		t.Helper()
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatal(err)
		}
		block, _ := pem.Decode(data)
		cert, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			t.Fatal(err)
		}
		return cert
	}
	client := parse(etcdClientCertFile)
	if client.Subject.CommonName != etcdClientName {
		t.Errorf("etcd client certificate of %q, want %q", client.Subject.CommonName, etcdClientName)
	}
	clientAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}
	if _, err := client.Verify(x509.VerifyOptions{Roots: etcdPool, KeyUsages: clientAuth}); err != nil {
		t.Errorf("etcd client certificate: %v", err)
	}
	if _, err := parse(kubeletClientCertFile).Verify(x509.VerifyOptions{Roots: etcdPool, KeyUsages: clientAuth}); err == nil {
		t.Error("etcd's CA accepts the cluster CA's client certificate")
	}
	for _, name := range []string{etcdServerCertFile, etcdPeerCertFile} {
		for _, host := range []string{"127.0.0.1", "localhost"} {
			if _, err := parse(name).Verify(x509.VerifyOptions{Roots: etcdPool, DNSName: host}); err != nil {
				t.Errorf("%s for %s: %v", name, host, err)
			}
		}
	}

	if err := os.Remove(filepath.Join(dir, etcdServerCertFile)); err != nil {
		t.Fatal(err)
	}
	if _, err := loadOrWritePKI(dir, ip); err != nil {
		t.Fatal(err)
	}
	if again, _ := os.ReadFile(filepath.Join(dir, etcdCACertFile)); !bytes.Equal(again, etcdCAPEM) {
		t.Error("reissuing etcd's serving certificate made a new etcd CA")
	}
	if !etcdCertsValid(dir) {
		t.Error("etcdCertsValid is false after reissuing")
	}
}
