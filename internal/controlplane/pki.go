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

	// etcd's own CA and the certificates it signs (kubeadm's etcd/ca,
	// etcd/server, etcd/peer and apiserver-etcd-client; flat here, as
	// Env.Dir/etcd is etcd's data folder).
	etcdCACertFile     = "etcd-ca.crt"
	etcdCAKeyFile      = "etcd-ca.key"
	etcdServerCertFile = "etcd-server.crt"
	etcdServerKeyFile  = "etcd-server.key"
	etcdPeerCertFile   = "etcd-peer.crt"
	etcdPeerKeyFile    = "etcd-peer.key"
	etcdClientCertFile = "apiserver-etcd-client.crt"
	etcdClientKeyFile  = "apiserver-etcd-client.key"
)

// etcdClientName is the common name of the certificate the apiserver (and
// Start's health check) presents to etcd.
const etcdClientName = "kube-apiserver-etcd-client"

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
// dir written before the kubelet or etcd certificates existed keeps its CA
// (and its etcd data) and gets them added.
func loadOrWritePKI(dir string, ip net.IP) ([]byte, error) {
	caPEM, err := loadOrWriteClusterPKI(dir, ip)
	if err != nil {
		return nil, err
	}
	if err := loadOrWriteEtcdPKI(dir); err != nil {
		return nil, err
	}
	return caPEM, nil
}

// loadOrWriteClusterPKI is loadOrWritePKI for the cluster's CA and the
// certificates it signs.
func loadOrWriteClusterPKI(dir string, ip net.IP) ([]byte, error) {
	caPEM, err := os.ReadFile(filepath.Join(dir, caCertFile))
	if err != nil || !servingCovers(dir, ip) {
		return writePKI(dir, ip)
	}
	if kubeletCertsValid(dir) {
		return caPEM, nil
	}
	caCert, caKey, err := loadCA(dir, caCertFile, caKeyFile)
	if err != nil {
		return nil, err
	}
	if err := writeKubeletCerts(dir, caCert, caKey); err != nil {
		return nil, err
	}
	return caPEM, nil
}

// loadOrWriteEtcdPKI makes sure dir holds etcd's CA and the server, peer
// and apiserver client certificates it signs, each valid for at least
// another day: it keeps a valid etcd CA and reissues the certificates,
// or starts over with a new etcd CA. Only etcd and the apiserver use them,
// so a new etcd CA breaks no client outside this folder.
//
// etcd trusts its own CA, not the cluster's: the cluster CA also signs
// kubelet certificates and, through kube-controller-manager, any approved
// CertificateSigningRequest, and none of those may reach etcd.
func loadOrWriteEtcdPKI(dir string) error {
	if etcdCertsValid(dir) {
		return nil
	}
	caCert, caKey, err := loadCA(dir, etcdCACertFile, etcdCAKeyFile)
	if err != nil || time.Until(caCert.NotAfter) < 24*time.Hour {
		if caCert, caKey, err = writeCA(dir, etcdCACertFile, etcdCAKeyFile, "sparkplane-etcd-ca"); err != nil {
			return err
		}
	}
	return writeEtcdCerts(dir, caCert, caKey)
}

// etcdCertsValid reports whether dir has the etcd CA's key and the three
// etcd certificates with their keys, signed by that CA for their use and
// valid for at least another day.
func etcdCertsValid(dir string) bool {
	if _, err := os.Stat(filepath.Join(dir, etcdCAKeyFile)); err != nil {
		return false
	}
	caPEM, err := os.ReadFile(filepath.Join(dir, etcdCACertFile))
	if err != nil {
		return false
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return false
	}
	verify := func(certName, keyName, host string, usages ...x509.ExtKeyUsage) bool {
		pair, err := tls.LoadX509KeyPair(filepath.Join(dir, certName), filepath.Join(dir, keyName))
		if err != nil {
			return false
		}
		cert, err := x509.ParseCertificate(pair.Certificate[0])
		if err != nil {
			return false
		}
		for _, u := range usages {
			_, err := cert.Verify(x509.VerifyOptions{Roots: pool, DNSName: host, KeyUsages: []x509.ExtKeyUsage{u}, CurrentTime: time.Now().Add(24 * time.Hour)})
			if err != nil {
				return false
			}
		}
		return true
	}
	server := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth}
	return verify(etcdServerCertFile, etcdServerKeyFile, "127.0.0.1", server...) &&
		verify(etcdPeerCertFile, etcdPeerKeyFile, "127.0.0.1", server...) &&
		verify(etcdClientCertFile, etcdClientKeyFile, "", x509.ExtKeyUsageClientAuth)
}

// loadCA reads the CA certificate and key certName and keyName of dir.
func loadCA(dir, certName, keyName string) (*x509.Certificate, crypto.Signer, error) {
	ca, err := tls.LoadX509KeyPair(filepath.Join(dir, certName), filepath.Join(dir, keyName))
	if err != nil {
		return nil, nil, fmt.Errorf("controlplane: load CA %s: %w", certName, err)
	}
	caCert, err := x509.ParseCertificate(ca.Certificate[0])
	if err != nil {
		return nil, nil, fmt.Errorf("controlplane: parse CA certificate %s: %w", certName, err)
	}
	signer, ok := ca.PrivateKey.(crypto.Signer)
	if !ok {
		return nil, nil, fmt.Errorf("controlplane: CA key %s cannot sign", keyName)
	}
	return caCert, signer, nil
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
	caCert, caKey, err := writeCA(dir, caCertFile, caKeyFile, "sparkplane-ca")
	if err != nil {
		return nil, err
	}
	saKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return nil, fmt.Errorf("controlplane: generate service-account key: %w", err)
	}
	saPub, err := x509.MarshalPKIXPublicKey(saKey.Public())
	if err != nil {
		return nil, fmt.Errorf("controlplane: marshal service-account public key: %w", err)
	}

	files := []struct {
		name string
		data []byte
	}{
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
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caCert.Raw}), nil
}

// writeCA writes a new self-signed P-256 CA named cn, valid for
// certValidity, into dir as certName and keyName.
func writeCA(dir, certName, keyName, cn string) (*x509.Certificate, crypto.Signer, error) {
	now := time.Now()
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, fmt.Errorf("controlplane: generate %s: %w", keyName, err)
	}
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: cn},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(certValidity),
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature | x509.KeyUsageCRLSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, caKey.Public(), caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("controlplane: create %s: %w", certName, err)
	}
	caCert, err := x509.ParseCertificate(caDER)
	if err != nil {
		return nil, nil, fmt.Errorf("controlplane: parse %s: %w", certName, err)
	}
	caKeyDER, err := x509.MarshalPKCS8PrivateKey(caKey)
	if err != nil {
		return nil, nil, fmt.Errorf("controlplane: marshal %s: %w", keyName, err)
	}
	// The key first, so that a certificate on disk never lacks its key.
	if err := os.WriteFile(filepath.Join(dir, keyName), pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: caKeyDER}), 0o600); err != nil {
		return nil, nil, fmt.Errorf("controlplane: write %s: %w", keyName, err)
	}
	if err := os.WriteFile(filepath.Join(dir, certName), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		return nil, nil, fmt.Errorf("controlplane: write %s: %w", certName, err)
	}
	return caCert, caKey, nil
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

// writeEtcdCerts writes the certificates signed by etcd's CA: etcd's
// serving and peer certificates for 127.0.0.1, ::1 and localhost (both
// also client certificates, as kubeadm's: etcd's gRPC gateway dials its
// own listener with the serving one, and a peer is both ends of a
// connection), and the apiserver's client certificate etcdClientName.
func writeEtcdCerts(dir string, caCert *x509.Certificate, caKey crypto.Signer) error {
	for _, c := range []struct{ cert, key, cn string }{
		{etcdServerCertFile, etcdServerKeyFile, "sparkplane-etcd-server"},
		{etcdPeerCertFile, etcdPeerKeyFile, "sparkplane-etcd-peer"},
	} {
		err := issue(dir, c.cert, c.key, caCert, caKey, &x509.Certificate{
			Subject:     pkix.Name{CommonName: c.cn},
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth},
			DNSNames:    []string{"localhost"},
			IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
		})
		if err != nil {
			return err
		}
	}
	return issue(dir, etcdClientCertFile, etcdClientKeyFile, caCert, caKey, &x509.Certificate{
		Subject:     pkix.Name{CommonName: etcdClientName},
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
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
