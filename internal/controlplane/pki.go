package controlplane

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// File names inside Env.Dir.
const (
	caCertFile             = "ca.crt"
	caKeyFile              = "ca.key"
	servingCertFile        = "apiserver.crt"
	servingKeyFile         = "apiserver.key"
	kubeletClientCertFile  = "apiserver-kubelet-client.crt"
	kubeletClientKeyFile   = "apiserver-kubelet-client.key"
	kubeletServingCertFile = "kubelet.crt"
	kubeletServingKeyFile  = "kubelet.key"
	saKeyFile              = "sa.key"
	saPubFile              = "sa.pub"
	tokenFile              = "tokens.csv"
)

// KubeletClientName is the common name of the certificate the apiserver
// presents to kubelets (--kubelet-client-certificate), kubeadm's name; a
// node agent serves its kubelet API to this name only.
const KubeletClientName = "kube-apiserver-kubelet-client"

// certValidity is how long the certificates written here are valid.
const certValidity = 365 * 24 * time.Hour

// servingNames are the DNS names the apiserver certificate covers, besides
// the IPs 127.0.0.1, ::1 and 10.0.0.1 (the "kubernetes" service).
var servingNames = []string{
	"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
	"kubernetes.default.svc.cluster.local",
}

// loadOrWritePKI returns the CA certificate PEM of dir, first writing the
// PKI if dir holds none or its serving certificate does not cover ip. A
// dir written before the kubelet certificates existed keeps its CA and
// gets them added.
func loadOrWritePKI(dir string, ip net.IP) ([]byte, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil || !servingCovers(dir, ip) {
		return writePKI(dir, ip)
	}
	if kubeletCertsValid(dir) {
		return caPEM, nil
	}
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, caCertFile), filepath.Join(dir, caKeyFile))
	if err != nil {
		return nil, fmt.Errorf("controlplane: load CA: %w", err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("controlplane: parse CA certificate: %w", err)
	}
	signer, ok := ca.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, errors.New("controlplane: CA key cannot sign")
	}
	if err := writeKubeletCerts(dir, caCert, signer); err != nil {
		return nil, err
	}
	return caPEM, nil
}

// servingCovers reports whether dir's serving certificate is valid for ip
// for at least another day, and the other PKI files are there.
func servingCovers(dir string, ip net.IP) bool {
	for _, name := range []string{caKeyFile, servingKeyFile, saKeyFile, saPubFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return validFor(dir, servingCertFile, ip.String())
}

// kubeletCertsValid reports whether dir has both kubelet certificates and
// their keys, valid for at least another day.
func kubeletCertsValid(dir string) bool {
	for _, name := range []string{kubeletClientKeyFile, kubeletServingKeyFile} {
		if _, err := os.Stat(filepath.Join(dir, name)); err != nil {
			return false
		}
	}
	return validFor(dir, kubeletClientCertFile, "") && validFor(dir, kubeletServingCertFile, "127.0.0.1")
}

// validFor reports whether the certificate file name in dir is valid for
// at least another day and, when host is set, covers host.
func validFor(dir, name, host string) bool {
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil {
		return false
	}
	block, _ := pem.Decode(data)
	if block == nil {
		return false
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil || time.Until(cert.NotAfter) < 24*time.Hour {
		return false
	}
	return host == "" || cert.VerifyHostname(host) == nil
}

// writePKI writes a CA, an apiserver serving certificate signed by it (also
// covering ip), the kubelet certificates (writeKubeletCerts) and an RSA
// service-account key pair into dir, and returns the CA certificate PEM.
// Certificates are valid for a year.
func writePKI(dir string, ip net.IP) ([]byte, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("controlplane: generate CA key: %w", err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "sparkplane-ca"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, fmt.Errorf("controlplane: create CA certificate: %w", err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, fmt.Errorf("controlplane: parse CA certificate: %w", err)
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return nil, fmt.Errorf("controlplane: marshal %s: %w", caKeyFile, err)
	}

	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("controlplane: generate service-account key: %w", err)
	}
	saPub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("controlplane: marshal service-account public key: %w", err)
	}

	caPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})
	files := []struct {
		name string
		data []byte
	}{
		{caCertFile, caPEM},
		{caKeyFile, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: caKeyDER})},
		{saKeyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(saKey)})},
		{saPubFile, pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: saPub})},
	}
	for _, f := range files {
		if err := os.WriteFile(filepath.Join(dir, f.name), f.data, 0o600); err != nil {
			return nil, fmt.Errorf("controlplane: write %s: %w", f.name, err)
		}
	}
	err = issue(dir, servingCertFile, servingKeyFile, caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "kube-apiserver"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    servingNames,
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback, net.IPv4(10, 0, 0, 1), ip},
	})
	if err != nil {
		return nil, err
	}
	if err := writeKubeletCerts(dir, caCert, caKey); err != nil {
		return nil, err
	}
	return caPEM, nil
}

// writeKubeletCerts writes the two certificates of the apiserver-kubelet
// link, signed by the CA: the apiserver's client certificate
// (KubeletClientName) and the kubelet API's serving certificate for
// 127.0.0.1, the address a node agent's Node advertises.
func writeKubeletCerts(dir string, caCert *x509.Certificate, caKey crypto.Signer) error {
	err := issue(dir, kubeletClientCertFile, kubeletClientKeyFile, caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: KubeletClientName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	})
	if err != nil {
		return err
	}
	return issue(dir, kubeletServingCertFile, kubeletServingKeyFile, caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: "sparkplane-kubelet"},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{"localhost"},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	})
}

// issue signs tmpl (subject, usages and names) for a new P-256 key with
// the CA, valid for certValidity, and writes certificate and key into dir.
func issue(dir, certName, keyName string, caCert *x509.Certificate, caKey crypto.Signer, tmpl *x509.Certificate) error {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return fmt.Errorf("controlplane: generate %s: %w", keyName, err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 62))
	if err != nil {
		return fmt.Errorf("controlplane: serial for %s: %w", certName, err)
	}
	now := time.Now()
	tmpl.SerialNumber = serial
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(certValidity)
	tmpl.KeyUsage = x509.KeyUsageDigitalSignature
	der, err := x509.CreateCertificate(rand.Reader, tmpl, caCert, key.Public(), caKey)
	if err != nil {
		return fmt.Errorf("controlplane: create %s: %w", certName, err)
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("controlplane: marshal %s: %w", keyName, err)
	}
	// The key first, so that a certificate on disk never lacks its key.
	if err := os.WriteFile(filepath.Join(dir, keyName), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER}), 0o600); err != nil {
		return fmt.Errorf("controlplane: write %s: %w", keyName, err)
	}
	if err := os.WriteFile(filepath.Join(dir, certName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		return fmt.Errorf("controlplane: write %s: %w", certName, err)
	}
	return nil
}
