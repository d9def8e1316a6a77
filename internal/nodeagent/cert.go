package nodeagent

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"log/slog"
	"net/http"
	"os"
)

// DefaultKubeletClientName is the one client the kubelet API serves by
// default: the certificate name kube-apiserver presents to kubelets
// (controlplane.KubeletClientName, kubeadm's name).
const DefaultKubeletClientName = "kube-apiserver-kubelet-client"

// kubeletTLS is the kubelet API's TLS configuration: its serving
// certificate, and a client certificate required and verified against the
// CAs in clientCAFile. A client without one, or with one of another CA,
// fails the handshake.
func kubeletTLS(certFile, keyFile, clientCAFile string) (*tls.Config, error) {
	cert, err := tls.LoadX509KeyPair(certFile, keyFile)
	if err != nil {
		return nil, fmt.Errorf("nodeagent: kubelet certificate: %w", err)
	}
	caPEM, err := os.ReadFile(clientCAFile)
	if err != nil {
		return nil, fmt.Errorf("nodeagent: kubelet client CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("nodeagent: kubelet client CA: no certificate in %s", clientCAFile)
	}
	return &tls.Config{
		Certificates: []tls.Certificate{cert},
		ClientAuth:   tls.RequireAndVerifyClientCert,
		ClientCAs:    pool,
		MinVersion:   tls.VersionTLS12,
	}, nil
}

// onlyClient passes to next the requests whose verified client certificate
// is named name, and answers the others 403: the cluster's CA signs other
// clients too (the apiserver's users, approved CSRs).
func onlyClient(name string, log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
			http.Error(w, "Unauthorized", http.StatusUnauthorized)
			return
		}
		if cn := r.TLS.VerifiedChains[0][0].Subject.CommonName; cn != name {
			log.Warn("kubelet API: client refused", "client", cn, "remote", r.RemoteAddr, "path", r.URL.Path)
			http.Error(w, fmt.Sprintf("Forbidden (user=%s, verb=%s, path=%s)", cn, r.Method, r.URL.Path), http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}
