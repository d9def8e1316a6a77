package bench

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// This file holds what BenchmarkDeepQueue needs around it: a `sparkplane
// server` process, an HTTP client for its API and readings of /proc.

// serverBinary is $SPARKPLANE_BENCH_BIN (the binary of another commit), or
// cmd/sparkplane built into dir.
func serverBinary(b *testing.B, dir string) string {
	if bin := os.Getenv("SPARKPLANE_BENCH_BIN"); bin != "" {
		return bin
	}
	bin := filepath.Join(dir, "sparkplane")
	out, err := exec.Command("go", "build", "-o", bin, "../../cmd/sparkplane").CombinedOutput()
	if err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// process is a running `sparkplane server`; its log is <dir>/server.log.
type process struct {
	cmd     *exec.Cmd
	url     string
	dataDir string
	logPath string
	exited  chan struct{}
}

// startProcess runs `sparkplane server` on a free port with dataDir and,
// if storeURL is not "", --store storeURL, and waits until it answers.
func startProcess(b *testing.B, bin, dir, dataDir, storeURL string) *process {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	p := &process{url: "http://" + addr, dataDir: dataDir, logPath: filepath.Join(dir, "server.log"), exited: make(chan struct{})}
	logf, err := os.Create(p.logPath)
	if err != nil {
		b.Fatal(err)
	}
	defer logf.Close()
	args := []string{"server", "--addr", addr, "--data-dir", dataDir}
	if storeURL != "" {
		args = append(args, "--store", storeURL)
	}
	p.cmd = exec.Command(bin, args...)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // not left behind if the benchmark dies
	if err := p.cmd.Start(); err != nil {
		b.Fatal(err)
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		select {
		case <-p.exited:
			b.Fatalf("server exited while starting; log: %s", p.logPath)
		default:
		}
		if resp, err := http.Get(p.url + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return p
			}
		}
		if time.Now().After(deadline) {
			b.Fatalf("server does not answer after 60 s; log: %s", p.logPath)
		}
	}
}

// stop sends SIGTERM and, after 30 s, SIGKILL.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(30 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

// killRun ends the process group of a local run (led by the pid its
// folder records), then any process left marked with a run folder under
// the data dir.
func (p *process) killRun(vcID, runID string) {
	var rec struct{ PID int }
	if b, err := os.ReadFile(filepath.Join(p.dataDir, "runs", vcID, runID, "pid")); err == nil && json.Unmarshal(b, &rec) == nil && rec.PID > 1 {
		_ = syscall.Kill(-rec.PID, syscall.SIGKILL)
	}
	entries, _ := os.ReadDir("/proc")
	mark := []byte("SPARKPLANE_JOB_RUN=" + p.dataDir)
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ")); err == nil && bytes.Contains(env, mark) {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
}

// cpuTicks is the server's utime+stime, in clock ticks (1/100 s).
func (p *process) cpuTicks() (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:])) // f[0] is field 3, state
	if len(f) < 13 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", p.cmd.Process.Pid)
	}
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("malformed /proc/%d/stat", p.cmd.Process.Pid)
	}
	return utime + stime, nil
}

// rssMB is the server's VmRSS.
func (p *process) rssMB() (float64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", p.cmd.Process.Pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, err := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024, err
		}
	}
	return 0, fmt.Errorf("no VmRSS in /proc/%d/status", p.cmd.Process.Pid)
}

func loadavg() string {
	b, _ := os.ReadFile("/proc/loadavg")
	return strings.TrimSpace(string(b))
}

// client calls the server with keep-alive connections and counts what
// answers with an error, by operation and status code.
type client struct {
	url  string
	hc   *http.Client
	mu   sync.Mutex
	errs map[string]int
}

func newClient(url string) *client {
	tr := &http.Transport{MaxIdleConnsPerHost: 512, IdleConnTimeout: time.Minute}
	return &client{url: url, hc: &http.Client{Transport: tr, Timeout: 30 * time.Second}, errs: map[string]int{}}
}

// call sends body (nil: none) and decodes a 2xx answer into out (nil:
// discarded); any other answer is counted as op's error and returned.
func (a *client) call(op, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return err
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, a.url+path, rd)
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := a.hc.Do(req)
	if err != nil {
		a.count(op + " transport")
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
		a.count(fmt.Sprintf("%s %d", op, resp.StatusCode))
		return fmt.Errorf("%s: %s: %s", op, resp.Status, msg)
	}
	if out == nil {
		_, err = io.Copy(io.Discard, resp.Body)
		return err
	}
	return json.NewDecoder(resp.Body).Decode(out)
}

func (a *client) count(key string) {
	a.mu.Lock()
	a.errs[key]++
	a.mu.Unlock()
}

// takeErrors returns the error counts so far and their total, and resets them.
func (a *client) takeErrors() (map[string]int, int) {
	a.mu.Lock()
	defer a.mu.Unlock()
	errs, n := a.errs, 0
	for _, c := range errs {
		n += c
	}
	a.errs = map[string]int{}
	return errs, n
}
