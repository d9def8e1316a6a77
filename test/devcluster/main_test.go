package devcluster

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sparkplane/sparkplane/internal/devcluster"
	"github.com/sparkplane/sparkplane/internal/testenv/cwenv"
)

// The cluster and the server every test shares.
var (
	bin     string // the sparkplane binary
	dataDir string
	layout  devcluster.Layout
	kube    *kubernetes.Clientset
	srv     *server
	// cloudWatch is moto's CloudWatch Logs server, which the server sends
	// the logs of runs with cloudWatchMonitoringConfiguration to.
	cloudWatch *cwenv.Server
	// serverConfig is the server's configuration file.
	serverConfig string
)

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	if os.Geteuid() != 0 {
		fmt.Fprintln(os.Stderr, "test/devcluster: the embedded cluster needs root (pods get their own mount namespaces); run the tests as root")
		return 1
	}
	tmp, err := os.MkdirTemp("", "sparkplane-devcluster-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(tmp)
	dataDir = filepath.Join(tmp, "data")
	layout = devcluster.Layout{Dir: filepath.Join(dataDir, "dev-cluster")}
	if bin, err = build(tmp); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	out, err := sparkplane(20*time.Minute, "dev-cluster", "up", "--data-dir", dataDir)
	fmt.Fprint(os.Stderr, out)
	defer down()
	if err != nil {
		fmt.Fprintf(os.Stderr, "dev-cluster up: %v\n%s", err, tail(layout.LogFile()))
		return 1
	}
	st, ok, err := layout.ReadState()
	if err != nil || !ok {
		fmt.Fprintf(os.Stderr, "no running cluster after up: %v\n", err)
		return 1
	}
	rc, err := clientcmd.BuildConfigFromFlags("", st.Kubeconfig)
	if err == nil {
		rc.QPS, rc.Burst = 500, 1000 // the benchmarks create pods in bursts
		kube, err = kubernetes.NewForConfig(rc)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	cw, stopCW, err := cwenv.Launch(context.Background(), tmp)
	if err != nil {
		fmt.Fprintf(os.Stderr, "moto's CloudWatch Logs server: %v\n", err)
		return 1
	}
	defer stopCW()
	cloudWatch = cw
	serverConfig = filepath.Join(tmp, "server.yaml")
	conf := fmt.Sprintf("cloudWatch:\n  endpoint: %s\n  region: %s\n  credentialsFile: %s\n", cw.Endpoint, cwenv.Region, cw.CredentialsFile)
	conf += ackConfig                       // ack_test.go
	conf += "metrics:\n  profiling: true\n" // BenchmarkTrackedRunsRSS's heap profile
	if err := os.WriteFile(serverConfig, []byte(conf), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if srv, err = startServer(filepath.Join(tmp, "server.log")); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer srv.kill()
	code := m.Run()
	if code != 0 {
		fmt.Fprintf(os.Stderr, "----- server log -----\n%s\n----- node agent log -----\n%s\n", tail(srv.logPath), tail(filepath.Join(layout.Dir, "node-agent.log")))
	}
	return code
}

// down stops the cluster; TestDownLeavesNothing checks the result when it
// runs, this is the safety net.
func down() {
	if out, err := sparkplane(3*time.Minute, "dev-cluster", "down", "--data-dir", dataDir); err != nil {
		fmt.Fprintf(os.Stderr, "dev-cluster down: %v\n%s", err, out)
	}
}

func build(dir string) (string, error) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		return "", fmt.Errorf("the go tool is not on PATH: %w", err)
	}
	path := filepath.Join(dir, "sparkplane")
	if out, err := exec.Command(goTool, "build", "-o", path, "../../cmd/sparkplane").CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build: %w\n%s", err, out)
	}
	return path, nil
}

// sparkplane runs the binary and returns its combined output.
func sparkplane(timeout time.Duration, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

func tail(path string) string {
	data, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	if len(data) > 16<<10 {
		data = data[len(data)-16<<10:]
	}
	return string(data)
}

// server is a `sparkplane server` process on the shared data dir.
type server struct {
	URL, logPath string
	cmd          *exec.Cmd
	exited       chan struct{}
}

func startServer(logPath string) (*server, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := l.Addr().String()
	l.Close()
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	s := &server{URL: "http://" + addr, logPath: logPath, exited: make(chan struct{})}
	s.cmd = exec.Command(bin, "server", "--config", serverConfig, "--addr", addr, "--data-dir", dataDir)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	s.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := s.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = s.cmd.Wait(); close(s.exited) }()
	deadline := time.Now().Add(time.Minute)
	for time.Now().Before(deadline) {
		select {
		case <-s.exited:
			return nil, fmt.Errorf("server exited while starting:\n%s", tail(logPath))
		default:
		}
		if resp, err := http.Get(s.URL + "/virtualclusters"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return s, nil
			}
		}
		time.Sleep(100 * time.Millisecond)
	}
	s.kill()
	return nil, fmt.Errorf("server does not answer after a minute:\n%s", tail(logPath))
}

// kill ends the server with SIGKILL: no shutdown at all.
func (s *server) kill() {
	select {
	case <-s.exited:
	default:
		_ = s.cmd.Process.Kill()
		<-s.exited
	}
}
