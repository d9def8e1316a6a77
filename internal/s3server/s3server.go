// Package s3server runs an S3-compatible server on a local folder: the
// Versity S3 Gateway (versitygw, Apache-2.0) with its posix backend, one
// subfolder per bucket. It backs the embedded cluster's object storage
// (sparkplane dev-cluster) and the S3 tests (internal/testenv/s3env).
//
// versitygw runs as a child process built by scripts/versitygw.sh into the
// cache folder (see Binary), not linked into sparkplane: its dependencies
// (Azure, LDAP, Kafka, NATS...) would double the size of the binary.
//
// The server has a root account, given to Start, and accounts added with
// AddUser. A user account (versitygw's role "user") sees only the buckets
// it owns; the root account sees them all.
package s3server

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// DefaultRegion is the region the server signs for unless told otherwise.
const DefaultRegion = "us-east-1"

// Options configure Start.
type Options struct {
	// Dir is the server's folder: data/ holds the buckets (one folder
	// each), iam/ the accounts, meta/ the object metadata when the
	// filesystem has no user extended attributes. Kept across restarts.
	Dir string
	// Address is where it listens: a loopback host and port; port 0 picks
	// a free one. Default 127.0.0.1:0.
	Address string
	// Root is the root account, which may do anything.
	Root Credentials
	// Region is the region requests are signed for; default DefaultRegion.
	Region string
	// Output receives the server's own output (nil: discarded).
	Output io.Writer
}

// Server is a running versitygw.
type Server struct {
	// Endpoint is its URL, e.g. http://127.0.0.1:7070; buckets are
	// addressed path-style (<endpoint>/<bucket>).
	Endpoint string
	Root     Credentials
	Region   string
	cmd      *exec.Cmd
	exited   chan struct{}
	waitErr  error
}

// startTimeout bounds how long a server has to answer after it starts.
const startTimeout = 30 * time.Second

// Start starts the server and returns once it answers HTTP. Stop it when
// done; it also ends when this process dies.
func Start(ctx context.Context, o Options) (*Server, error) {
	if o.Root.AccessKeyID == "" || o.Root.SecretAccessKey == "" {
		return nil, errors.New("s3server: the root account needs an access key and a secret key")
	}
	if o.Address == "" {
		o.Address = "127.0.0.1:0"
	}
	if o.Region == "" {
		o.Region = DefaultRegion
	}
	addr, err := loopbackAddress(o.Address)
	if err != nil {
		return nil, err
	}
	bin, err := Binary(ctx)
	if err != nil {
		return nil, err
	}
	data, iam, meta := filepath.Join(o.Dir, "data"), filepath.Join(o.Dir, "iam"), filepath.Join(o.Dir, "meta")
	for _, d := range []string{data, iam} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return nil, err
		}
	}
	posix := []string{"posix"}
	if !hasUserXattrs(data) {
		if err := os.MkdirAll(meta, 0o700); err != nil {
			return nil, err
		}
		posix = append(posix, "--sidecar", meta)
	}
	args := append([]string{"--port", addr, "--region", o.Region, "--iam-dir", iam, "--quiet"}, posix...)
	cmd := exec.Command(bin, append(args, data)...)
	// The secrets go through the environment, not the command line that
	// ps shows everyone; nothing else of the server's environment does.
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "ROOT_ACCESS_KEY_ID=" + o.Root.AccessKeyID, "ROOT_SECRET_ACCESS_KEY=" + o.Root.SecretAccessKey}
	out := o.Output
	if out == nil {
		out = io.Discard
	}
	cmd.Stdout, cmd.Stderr = out, out
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("s3server: start %s: %w", bin, err)
	}
	s := &Server{Endpoint: "http://" + addr, Root: o.Root, Region: o.Region, cmd: cmd, exited: make(chan struct{})}
	go func() {
		s.waitErr = cmd.Wait()
		close(s.exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Stop()
		return nil, err
	}
	return s, nil
}

// waitReady polls until the server answers any HTTP request.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(startTimeout)
	client := &http.Client{Timeout: time.Second}
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.Endpoint+"/", nil)
		if err != nil {
			return err
		}
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			return nil
		}
		select {
		case <-s.exited:
			return fmt.Errorf("s3server: versitygw exited before it answered (%v); see its output", s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("s3server: versitygw does not answer at %s after %v", s.Endpoint, startTimeout)
		}
	}
}

// stopTimeout bounds a graceful stop before the server is killed.
const stopTimeout = 10 * time.Second

// Stop stops the server; a second call does nothing.
func (s *Server) Stop() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	_ = s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(stopTimeout):
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
	return nil
}

// Done is closed when the server has exited.
func (s *Server) Done() <-chan struct{} { return s.exited }

// Err is why the server exited, once Done is closed.
func (s *Server) Err() error {
	<-s.exited
	return s.waitErr
}

// loopbackAddress checks that addr is a free loopback address and gives
// it a free port when it has none (or port 0).
func loopbackAddress(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("s3server: address %q: %w", addr, err)
	}
	if ip := net.ParseIP(host); ip == nil || !ip.IsLoopback() {
		return "", fmt.Errorf("s3server: address %q: want a loopback IP address (the server has no TLS)", addr)
	}
	if port == "" {
		port = "0"
	}
	// A port that is taken fails here rather than after start, where
	// another server answering on it would pass for versitygw.
	l, err := net.Listen("tcp", net.JoinHostPort(host, port))
	if err != nil {
		return "", fmt.Errorf("s3server: listen on %s: %w", addr, err)
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// hasUserXattrs reports whether files in dir take user extended
// attributes, where versitygw keeps object metadata by default.
func hasUserXattrs(dir string) bool {
	f, err := os.CreateTemp(dir, ".xattr-probe-")
	if err != nil {
		return false
	}
	defer os.Remove(f.Name())
	defer f.Close()
	return unix.Fsetxattr(int(f.Fd()), "user.sparkplane.probe", []byte("1"), 0) == nil
}
