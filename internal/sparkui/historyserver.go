package sparkui

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// HistoryServerClass is the main class of Apache Spark's History Server.
const HistoryServerClass = "org.apache.spark.deploy.history.HistoryServer"

// startTimeout bounds how long a History Server has to answer after it
// was started.
const startTimeout = 2 * time.Minute

// historyServer supervises one History Server process over the folder
// <dir>/logs.
type historyServer struct {
	dist sparkdist.Dist
	dir  string
	host string // what it binds to
	port int    // 0 until first started
	// userName runs it when the server is root ("": this process's
	// user); user is that user once looked up (at the first start).
	userName string
	user     *unixUser
	log      *slog.Logger

	mu     sync.Mutex
	proc   *os.Process
	done   chan struct{} // closed when proc has ended
	closed bool
}

// unixUser is whom the History Server runs as.
type unixUser struct {
	name     string
	uid, gid int
}

func lookupUnixUser(name string) (*unixUser, error) {
	u, err := user.Lookup(name)
	if err != nil {
		return nil, fmt.Errorf("sparkUI.user %s: %w", name, err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	if uid == 0 {
		return nil, fmt.Errorf("sparkUI.user %s is root: the History Server must not run as root", name)
	}
	return &unixUser{name: name, uid: uid, gid: gid}, nil
}

// logDir is the folder the History Server reads event logs from.
func (h *historyServer) logDir() string { return filepath.Join(h.dir, "logs") }

// url is the base URL of the History Server (host as clients reach it).
func (h *historyServer) url() string {
	host := h.host
	if host == "" || host == "0.0.0.0" || host == "::" {
		if name, err := os.Hostname(); err == nil {
			host = name
		}
	}
	return "http://" + net.JoinHostPort(host, strconv.Itoa(h.port))
}

// ensure starts the History Server unless it runs, and waits until it
// answers.
func (h *historyServer) ensure(ctx context.Context) error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return errors.New("the server is stopping")
	}
	if h.proc != nil {
		select {
		case <-h.done:
			h.log.Warn("the History Server had stopped; starting it again")
			h.proc = nil
		default:
			return nil
		}
	}
	if err := h.start(); err != nil {
		return err
	}
	return h.waitReady(ctx)
}

// start starts the process (h.mu held).
func (h *historyServer) start() error {
	if h.dist.SparkHome == "" {
		return errors.New("no Apache Spark is installed to run the History Server from (scripts/setup.sh installs one)")
	}
	if h.userName != "" && h.user == nil {
		u, err := lookupUnixUser(h.userName)
		if err != nil {
			return err
		}
		h.user = u
	}
	for _, d := range []string{h.dir, h.logDir(), filepath.Join(h.dir, "tmp")} {
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("History Server folder: %w", err)
		}
		if err := os.Chmod(d, 0o700); err != nil {
			return err
		}
		if h.user != nil {
			if err := os.Lchown(d, h.user.uid, h.user.gid); err != nil {
				return err
			}
		}
	}
	if h.port == 0 {
		p, err := freePort(h.host)
		if err != nil {
			return err
		}
		h.port = p
	}
	conf := filepath.Join(h.dir, "history-server.conf")
	if err := os.WriteFile(conf, []byte(h.properties()), 0o600); err != nil {
		return err
	}
	logFile, err := os.OpenFile(filepath.Join(h.dir, "history-server.log"), os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	defer logFile.Close()
	if h.user != nil {
		if err := os.Lchown(conf, h.user.uid, h.user.gid); err != nil {
			return err
		}
	}
	argv := []string{filepath.Join(h.dist.JavaHome, "bin", "java"), "-Xmx1g",
		"-Djava.io.tmpdir=" + filepath.Join(h.dir, "tmp"),
		"-cp", filepath.Join(h.dist.SparkHome, "jars") + "/*",
		HistoryServerClass, "--properties-file", conf}
	attr := &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if h.user != nil {
		setpriv, err := exec.LookPath("setpriv")
		if err != nil {
			return errors.New("setpriv (util-linux), which starts the History Server as sparkUI.user, is not installed")
		}
		argv = append([]string{setpriv, "--reuid=" + strconv.Itoa(h.user.uid), "--regid=" + strconv.Itoa(h.user.gid),
			"--clear-groups", "--inh-caps=-all", "--no-new-privs", "--pdeathsig=KILL", "--"}, argv...)
	}
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Dir = h.dir
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.SysProcAttr = attr
	cmd.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin", "HOME=" + h.dir, "JAVA_HOME=" + h.dist.JavaHome,
		"SPARK_HOME=" + h.dist.SparkHome, "SPARK_LOCAL_IP=" + h.bindHost(), "SPARK_PUBLIC_DNS=" + h.bindHost()}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the History Server: %w", err)
	}
	h.proc, h.done = cmd.Process, make(chan struct{})
	done := h.done
	go func() {
		_ = cmd.Wait()
		close(done)
	}()
	h.log.Info("History Server started", "url", h.url(), "pid", cmd.Process.Pid, "spark", h.dist.SparkHome, "dir", h.dir)
	return nil
}

// bindHost is what the History Server binds to.
func (h *historyServer) bindHost() string {
	if h.host == "" {
		return "0.0.0.0"
	}
	return h.host
}

// properties are the History Server's configuration: the local folder of
// event logs, scanned every second; no cleaner (sparkplane places what is
// asked for); the port exactly (no retrying the next ones: the URL would
// be wrong).
func (h *historyServer) properties() string {
	props := [][2]string{
		{"spark.history.fs.logDirectory", "file://" + h.logDir()},
		{"spark.history.fs.update.interval", "1s"},
		{"spark.history.fs.cleaner.enabled", "false"},
		{"spark.history.ui.port", strconv.Itoa(h.port)},
		{"spark.port.maxRetries", "0"},
		{"spark.history.retainedApplications", "50"},
	}
	var b strings.Builder
	for _, p := range props {
		b.WriteString(p[0] + " " + p[1] + "\n")
	}
	return b.String()
}

// waitReady waits until the History Server answers its REST API, it ends,
// or startTimeout passes (h.mu held).
func (h *historyServer) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	api := h.apiURL("/applications?limit=1")
	for {
		if code, err := get(ctx, api); err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-h.done:
			h.proc = nil
			return fmt.Errorf("the History Server stopped at start; see %s", filepath.Join(h.dir, "history-server.log"))
		case <-ctx.Done():
			return fmt.Errorf("the History Server did not answer at %s within %s; see %s", h.url(), startTimeout, filepath.Join(h.dir, "history-server.log"))
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// apiURL is the URL of path under the History Server's REST API.
func (h *historyServer) apiURL(path string) string {
	return "http://" + net.JoinHostPort(h.connectHost(), strconv.Itoa(h.port)) + "/api/v1" + path
}

// connectHost is how this server reaches the History Server.
func (h *historyServer) connectHost() string {
	switch h.host {
	case "", "0.0.0.0":
		return "127.0.0.1"
	case "::":
		return "::1"
	}
	return h.host
}

// waitListed waits until the History Server lists application appID.
func (h *historyServer) waitListed(ctx context.Context, appID string) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	api := h.apiURL("/applications/" + appID)
	for {
		code, err := get(ctx, api)
		if err == nil && code == http.StatusOK {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the History Server did not list application %s within %s (last: %d %v)", appID, startTimeout, code, err)
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// close stops the History Server: SIGTERM to its process group, SIGKILL
// after 5 s.
func (h *historyServer) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.closed = true
	if h.proc == nil {
		return
	}
	_ = syscall.Kill(-h.proc.Pid, syscall.SIGTERM)
	select {
	case <-h.done:
	case <-time.After(5 * time.Second):
		_ = syscall.Kill(-h.proc.Pid, syscall.SIGKILL)
		<-h.done
	}
	h.proc = nil
}

var httpClient = &http.Client{Timeout: 10 * time.Second}

func get(ctx context.Context, url string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, err
	}
	resp, err := httpClient.Do(req)
	if err != nil {
		return 0, err
	}
	resp.Body.Close()
	return resp.StatusCode, nil
}

// freePort asks the kernel for a free TCP port on host.
func freePort(host string) (int, error) {
	l, err := net.Listen("tcp", net.JoinHostPort(host, "0"))
	if err != nil {
		return 0, fmt.Errorf("find a free port for the History Server: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}
