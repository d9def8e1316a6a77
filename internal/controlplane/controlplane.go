// Package controlplane runs a real Kubernetes control plane on this
// machine: Debian's etcd plus kube-apiserver (and optionally
// kube-controller-manager) v1.34.2 built from the upstream Go module by
// scripts/kube-binaries.sh. It backs the tests (a throwaway cluster in a
// temporary folder) and `sparkplane dev-cluster` (a cluster whose
// certificates and etcd data live in a kept folder). No kubelet or
// scheduler runs here: pods stay Pending unless a node agent or a test
// plays the node's part.
//
// The binaries are taken from $SPARKPLANE_KUBE_BIN when set, otherwise from
// ${SPARKPLANE_CACHE:-$HOME/.cache/sparkplane}/kube-v1.34.2; when that
// folder is incomplete the build script is run (about 6-8 minutes on a cold
// Go build cache, so run the script once before `go test` in CI).
//
// The package uses only the standard library: clients talk to Env.Host with
// Env.Token over TLS trusting Env.CAData, or use Env.KubeconfigPath. The
// apiserver reaches kubelets with a client certificate of the CA named
// KubeletClientName and verifies their serving certificates with the CA;
// a node agent serves Env.KubeletCertFile.
//
// etcd listens on loopback only, over TLS with its own CA (not the
// cluster's, which also signs kubelet and CSR certificates), and requires
// a client certificate of that CA on its client and peer ports: only the
// apiserver reaches it, not every local user. Env.Dir and the keys in it
// are its owner's only (0700, 0600). A kept Dir written before a kind of
// certificate existed gets it on its next Start and keeps its data.
package controlplane

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"
)

// ContextName is the default name of the cluster, user and context in the
// kubeconfig written by Start.
const ContextName = "sparkplane-test"

// ServiceClusterIPRange is the service CIDR the apiserver is started with;
// the "kubernetes" service gets 10.0.0.1.
const ServiceClusterIPRange = "10.0.0.0/24"

// Options controls Start.
type Options struct {
	// ControllerManager also starts kube-controller-manager with all its
	// default controllers (service accounts, Jobs, garbage collection, ...).
	ControllerManager bool
	// Logf, when set, receives progress messages (for example t.Logf).
	Logf func(format string, args ...any)
	// Dir keeps the certificates, token, etcd data and logs, and survives
	// Stop: a later Start with the same Dir is the same cluster. Empty means
	// a temporary folder that Stop removes.
	Dir string
	// Address is the IP the apiserver serves and advertises (default
	// 127.0.0.1); its certificate covers it. Port is its port (default: a
	// free one).
	Address string
	Port    int
	// ContextName names the kubeconfig's cluster, user and context (default
	// ContextName).
	ContextName string
}

// Env is a running control plane. Stop it when done.
type Env struct {
	// Host is the apiserver's base URL, https://ADDRESS:PORT.
	Host string
	// CAData is the PEM CA certificate that signed the serving certificate;
	// CAFile holds the same bytes.
	CAData []byte
	CAFile string
	// Token is a bearer token of user "admin" in group system:masters.
	Token string
	// KubeconfigPath is a kubeconfig for Host, CAData and Token whose
	// current context is ContextName.
	KubeconfigPath string
	// KubeletCertFile and KubeletKeyFile are a kubelet API serving
	// certificate for 127.0.0.1 signed by the CA: the apiserver verifies
	// kubelets' certificates with CAFile, and presents to them a
	// certificate of the CA named KubeletClientName.
	KubeletCertFile, KubeletKeyFile string
	// Dir is the folder with certificates, etcd data and one log file per
	// process (NAME.log); Stop removes it when Start created it.
	Dir string

	// etcdURL and etcdPeerURL are etcd's client and peer URLs,
	// https://127.0.0.1:PORT; only clients with a certificate of etcd's CA
	// get through (etcdHTTPClient).
	etcdURL, etcdPeerURL string
	temporary            bool
	procs                []*process
	stopOnce             sync.Once
	stopErr              error
}

// Start starts etcd and kube-apiserver (and kube-controller-manager when
// opts.ControllerManager is set) on free loopback ports and returns once the
// apiserver's /readyz passes. ctx bounds the start-up only, including a build
// of missing binaries; the processes run until Stop. On error everything
// started so far is stopped, and the error carries the tail of each log.
func Start(ctx context.Context, opts Options) (_ *Env, err error) {
	logf := opts.Logf
	if logf == nil {
		logf = func(string, ...any) {}
	}
	bins, err := findBinaries(ctx, logf)
	if err != nil {
		return nil, err
	}
	dir, temporary := opts.Dir, opts.Dir == ""
	if temporary {
		dir, err = os.MkdirTemp("", "sparkplane-kube-")
	} else {
		err = os.MkdirAll(dir, 0o700)
		if err == nil {
			// A folder made before Start did, or by hand, may be open to
			// other users; it holds keys and etcd's data.
			err = os.Chmod(dir, 0o700)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("controlplane: create %s: %w", dir, err)
	}
	e := &Env{Dir: dir, temporary: temporary, CAFile: filepath.Join(dir, caCertFile), KubeconfigPath: filepath.Join(dir, "kubeconfig"),
		KubeletCertFile: filepath.Join(dir, kubeletServingCertFile), KubeletKeyFile: filepath.Join(dir, kubeletServingKeyFile)}
	defer func() {
		if err != nil {
			err = fmt.Errorf("%w%s", err, e.logTails(40))
			_ = e.Stop()
		}
	}()
	if err := e.start(ctx, bins, opts, logf); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *Env) start(ctx context.Context, bins binaries, opts Options, logf func(string, ...any)) error {
	begin := time.Now()
	address := opts.Address
	if address == "" {
		address = "127.0.0.1"
	}
	ip := net.ParseIP(address)
	if ip == nil {
		return fmt.Errorf("controlplane: address %q is not an IP", address)
	}
	caPEM, err := loadOrWritePKI(e.Dir, ip)
	if err != nil {
		return err
	}
	e.CAData = caPEM
	if e.Token, err = loadOrWriteToken(filepath.Join(e.Dir, tokenFile)); err != nil {
		return err
	}
	ports, err := etcdPorts(e.Dir, !e.temporary)
	if err != nil {
		return err
	}
	port := opts.Port
	if port == 0 {
		free, err := freePorts(1)
		if err != nil {
			return err
		}
		port = free[0]
	}
	etcdURL := fmt.Sprintf("https://127.0.0.1:%d", ports[0])
	e.etcdURL, e.etcdPeerURL = etcdURL, fmt.Sprintf("https://127.0.0.1:%d", ports[1])
	e.Host = "https://" + net.JoinHostPort(address, strconv.Itoa(port))
	ctxName := opts.ContextName
	if ctxName == "" {
		ctxName = ContextName
	}
	if err := writeKubeconfig(e.KubeconfigPath, ctxName, e.Host, e.CAData, e.Token); err != nil {
		return err
	}

	etcd, err := startProcess(e.Dir, "etcd", bins.etcd, etcdArgs(e.Dir, etcdURL, e.etcdPeerURL)...)
	if err != nil {
		return err
	}
	e.procs = append(e.procs, etcd)
	etcdClient, err := e.etcdHTTPClient()
	if err != nil {
		return err
	}
	if err := e.waitOK(ctx, etcdClient, etcdURL+"/health", 30*time.Second); err != nil {
		return fmt.Errorf("controlplane: etcd not healthy: %w", err)
	}
	logf("controlplane: etcd healthy at %s after %v", etcdURL, time.Since(begin).Round(time.Millisecond))
	if err := e.updateEtcdPeerURL(ctx, etcdClient, logf); err != nil {
		return err
	}

	api, err := startProcess(e.Dir, "kube-apiserver", bins.apiserver, apiserverArgs(e.Dir, etcdURL, ip, port)...)
	if err != nil {
		return err
	}
	e.procs = append(e.procs, api)
	if err := e.waitOK(ctx, e.HTTPClient(), e.Host+"/readyz", 90*time.Second); err != nil {
		return fmt.Errorf("controlplane: kube-apiserver not ready: %w", err)
	}
	logf("controlplane: kube-apiserver ready at %s after %v", e.Host, time.Since(begin).Round(time.Millisecond))

	if opts.ControllerManager {
		kcm, err := startProcess(e.Dir, "kube-controller-manager", bins.controllerManager, controllerManagerArgs(e.Dir, e.KubeconfigPath)...)
		if err != nil {
			return err
		}
		e.procs = append(e.procs, kcm)
		logf("controlplane: kube-controller-manager started")
	}
	return nil
}

// HTTPClient returns a client that trusts CAData and sends Token on every
// request.
func (e *Env) HTTPClient() *http.Client {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(e.CAData)
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	return &http.Client{Transport: bearer{token: e.Token, next: tr}, Timeout: 30 * time.Second}
}

// etcdHTTPClient returns a client for etcdURL that trusts etcd's CA and
// presents the apiserver's etcd client certificate.
func (e *Env) etcdHTTPClient() (*http.Client, error) {
	caPEM, err := os.ReadFile(filepath.Join(e.Dir, etcdCACertFile))
	if err != nil {
		return nil, fmt.Errorf("controlplane: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(caPEM) {
		return nil, fmt.Errorf("controlplane: %s holds no certificate", etcdCACertFile)
	}
	cert, err := tls.LoadX509KeyPair(filepath.Join(e.Dir, etcdClientCertFile), filepath.Join(e.Dir, etcdClientKeyFile))
	if err != nil {
		return nil, fmt.Errorf("controlplane: load etcd client certificate: %w", err)
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}}
	return &http.Client{Transport: tr, Timeout: 10 * time.Second}, nil
}

// updateEtcdPeerURL makes etcd's member advertise etcdPeerURL: etcd data
// from before its peer port had TLS still holds an http:// peer URL, which
// the flags of a restart do not change. A single member never dials it,
// but its member list should tell the truth.
func (e *Env) updateEtcdPeerURL(ctx context.Context, c *http.Client, logf func(string, ...any)) error {
	var list struct {
		Members []struct {
			ID       string   `json:"ID"`
			PeerURLs []string `json:"peerURLs"`
		} `json:"members"`
	}
	if err := postJSON(ctx, c, e.etcdURL+"/v3/cluster/member/list", struct{}{}, &list); err != nil {
		return fmt.Errorf("controlplane: list etcd members: %w", err)
	}
	for _, m := range list.Members {
		if len(m.PeerURLs) == 1 && m.PeerURLs[0] == e.etcdPeerURL {
			continue
		}
		update := struct {
			ID       string   `json:"ID"`
			PeerURLs []string `json:"peerURLs"`
		}{m.ID, []string{e.etcdPeerURL}}
		if err := postJSON(ctx, c, e.etcdURL+"/v3/cluster/member/update", update, nil); err != nil {
			return fmt.Errorf("controlplane: update etcd member %s: %w", m.ID, err)
		}
		logf("controlplane: etcd member %s: peer URLs %v -> %s", m.ID, m.PeerURLs, e.etcdPeerURL)
	}
	return nil
}

// postJSON posts in as JSON to url and decodes a 200 answer into out
// (when not nil).
func postJSON(ctx context.Context, c *http.Client, url string, in, out any) error {
	body, err := json.Marshal(in)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("POST %s: %s: %s", url, resp.Status, bytes.TrimSpace(data))
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(data, out)
}

type bearer struct {
	token string
	next  http.RoundTripper
}

func (b bearer) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.Header.Set("Authorization", "Bearer "+b.token)
	return b.next.RoundTrip(req)
}

// LogTails returns the last n lines of every process log, for printing when a
// test fails.
func (e *Env) LogTails(n int) string { return e.logTails(n) }

func (e *Env) logTails(n int) string {
	var b strings.Builder
	for _, p := range e.procs {
		fmt.Fprintf(&b, "\n----- %s.log (last %d lines) -----\n%s", p.name, n, tailLines(p.logPath, n))
	}
	return b.String()
}

// Stop kills every process (whole process groups, SIGTERM then SIGKILL) in
// reverse start order and removes Dir if it was temporary. It is safe to
// call more than once.
func (e *Env) Stop() error {
	e.stopOnce.Do(func() {
		for i := len(e.procs) - 1; i >= 0; i-- {
			e.procs[i].stop(10 * time.Second)
		}
		if !e.temporary {
			return
		}
		if err := os.RemoveAll(e.Dir); err != nil {
			e.stopErr = fmt.Errorf("controlplane: remove %s: %w", e.Dir, err)
		}
	})
	return e.stopErr
}

// waitOK polls url until it answers 200, a process exits, ctx ends or
// timeout passes.
func (e *Env) waitOK(ctx context.Context, client *http.Client, url string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		for _, p := range e.procs {
			if err := p.exited(); err != nil {
				return err
			}
		}
		last = getOK(ctx, client, url)
		if last == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last attempt: %w)", ctx.Err(), last)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

func getOK(ctx context.Context, client *http.Client, url string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return errors.New("GET " + url + ": " + resp.Status)
	}
	return nil
}
