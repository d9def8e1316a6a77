package multiserver

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
)

// binDir holds the sparkplane binary the tests build; TestMain removes it.
var binDir string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sparkplane-multiserver-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	binDir = dir
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// buildOnce builds cmd/sparkplane once per test binary.
var buildOnce = sync.OnceValues(func() (string, error) {
	bin := filepath.Join(binDir, "sparkplane")
	goTool, err := exec.LookPath("go")
	if err != nil {
		goTool = filepath.Join(runtime.GOROOT(), "bin", "go")
	}
	out, err := exec.Command(goTool, "build", "-o", bin, "../../cmd/sparkplane").CombinedOutput()
	if err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return bin, nil
})

// server is a `sparkplane server` process.
type server struct {
	name    string
	URL     string
	Client  *emrcontainers.Client
	logPath string
	cmd     *exec.Cmd
	exited  chan struct{}
}

// startServer runs `sparkplane server` on a free port with the given store
// and data dir, and any extra flags; its log goes to <logDir>/<name>.log.
// It is killed when the test ends, if it still runs.
func startServer(t *testing.T, name, storeURL, dataDir, logDir string, extra ...string) *server {
	t.Helper()
	bin, err := buildOnce()
	if err != nil {
		t.Fatal(err)
	}
	addr, err := freeAddr()
	if err != nil {
		t.Fatal(err)
	}
	s := &server{name: name, URL: "http://" + addr, logPath: filepath.Join(logDir, name+".log"), exited: make(chan struct{})}
	logf, err := os.Create(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	defer logf.Close()
	s.cmd = exec.Command(bin, append([]string{"server", "--addr", addr, "--data-dir", dataDir, "--store", storeURL}, extra...)...)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // not left behind if the test dies
	if err := s.cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	t.Cleanup(func() { s.Kill(t) })
	s.Client = emrcontainers.New(emrcontainers.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
	deadline := time.Now().Add(60 * time.Second)
	for {
		select {
		case <-s.exited:
			t.Fatalf("server %s exited while starting:\n%s", name, s.Log(t))
		default:
		}
		resp, err := http.Get(s.URL + "/virtualclusters")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("server %s does not answer after 60 s (%v):\n%s", name, err, s.Log(t))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Kill ends the server with SIGKILL: no shutdown, no lease given back.
func (s *server) Kill(t *testing.T) {
	t.Helper()
	select {
	case <-s.exited:
		return
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil {
		t.Errorf("kill %s: %v", s.name, err)
	}
	<-s.exited
}

// Log returns what the server has logged so far.
func (s *server) Log(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(s.logPath)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// ServerID is the id the server logged at start.
func (s *server) ServerID(t *testing.T) string {
	t.Helper()
	for _, line := range strings.Split(s.Log(t), "\n") {
		if _, rest, ok := strings.Cut(line, " serverId="); ok {
			id, _, _ := strings.Cut(rest, " ")
			return id
		}
	}
	t.Fatalf("server %s logged no serverId:\n%s", s.name, s.Log(t))
	return ""
}

// logLines returns the server's log lines with message msg about run key
// (slog's text format: msg="…" run=<key> …).
func logLines(log, msg, key string) []string {
	var out []string
	for _, line := range strings.Split(log, "\n") {
		if strings.Contains(line, `msg="`+msg+`"`) && strings.Contains(line, " run="+key+" ") {
			out = append(out, line)
		}
	}
	return out
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// killRuns ends every process a test's runs left behind: those whose
// environment marks them as running in a folder under dataDir.
func killRuns(dataDir string) {
	entries, _ := os.ReadDir("/proc")
	mark := []byte("SPARKPLANE_JOB_RUN=" + dataDir)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(env, mark) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// contextFor is a context that ends with the test or after d.
func contextFor(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), d)
	t.Cleanup(cancel)
	return ctx
}
