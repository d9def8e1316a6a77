package devcluster

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// MarkerEnv is set in the environment of the supervisor and of every
// process it starts (control plane and pods), so Down can prove none is
// left.
const MarkerEnv = "SPARKPLANE_DEV_CLUSTER"

// upTimeout bounds a start-up, including a cold build of kube-apiserver
// and kube-controller-manager (~6-8 minutes on 2 cores).
const upTimeout = 20 * time.Minute

// Up starts the supervisor (argv, e.g. `sparkplane dev-cluster run …`) in
// the background with the environment environ (KEY=value: the command's
// own, config.Env.Environ, since the supervisor is sparkplane again), shows
// its progress on out, and returns once the cluster is ready. When a
// supervisor already runs it returns its state.
func Up(ctx context.Context, l Layout, argv, environ []string, out io.Writer) (State, error) {
	if st, ok, err := l.ReadState(); err != nil || ok {
		if ok {
			fmt.Fprintf(out, "already running (pid %d)\n", st.PID)
		}
		return st, err
	}
	if err := os.MkdirAll(l.Dir, 0o755); err != nil {
		return State{}, err
	}
	_ = os.Remove(l.stateFile()) // a stale one from a killed supervisor
	log, err := os.Create(l.LogFile())
	if err != nil {
		return State{}, err
	}
	defer log.Close()
	cmd := exec.Command(argv[0], argv[1:]...)
	cmd.Stdout, cmd.Stderr = log, log
	cmd.Env = append(append([]string(nil), environ...), MarkerEnv+"="+l.Dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true}
	if err := cmd.Start(); err != nil {
		return State{}, fmt.Errorf("start the supervisor: %w", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()

	follow := &follower{path: l.LogFile(), out: out}
	deadline := time.NewTimer(upTimeout)
	defer deadline.Stop()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		follow.flush()
		if st, ok, _ := l.ReadState(); ok && st.Ready {
			return st, nil
		}
		select {
		case err := <-exited:
			follow.flush()
			return State{}, fmt.Errorf("the supervisor exited (%v) before the cluster was ready; its log is %s", err, l.LogFile())
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			<-exited
			return State{}, fmt.Errorf("interrupted; the half-started cluster was stopped: %w", ctx.Err())
		case <-deadline.C:
			_ = cmd.Process.Signal(syscall.SIGTERM)
			return State{}, fmt.Errorf("not ready after %v; see %s", upTimeout, l.LogFile())
		case <-tick.C:
		}
	}
}

// follower copies the new complete lines of a growing file to out.
type follower struct {
	path    string
	out     io.Writer
	offset  int64
	partial []byte
}

func (f *follower) flush() {
	file, err := os.Open(f.path)
	if err != nil {
		return
	}
	defer file.Close()
	if _, err := file.Seek(f.offset, io.SeekStart); err != nil {
		return
	}
	data, _ := io.ReadAll(file)
	f.offset += int64(len(data))
	data = append(f.partial, data...)
	end := bytes.LastIndexByte(data, '\n')
	if end < 0 {
		f.partial = data
		return
	}
	for _, line := range strings.Split(string(data[:end]), "\n") {
		fmt.Fprintf(f.out, "  %s\n", line)
	}
	f.partial = append([]byte(nil), data[end+1:]...)
}

// stopTimeout bounds how long Down waits for the supervisor to stop every
// pod and component before killing what is left.
const stopTimeout = 90 * time.Second

// Down stops the supervisor and everything it started, and checks that no
// process of the cluster is left.
func Down(ctx context.Context, l Layout, out io.Writer) error {
	st, ok, err := l.ReadState()
	if err != nil {
		return err
	}
	if ok {
		fmt.Fprintf(out, "stopping the embedded cluster (supervisor pid %d)", st.PID)
		_ = syscall.Kill(st.PID, syscall.SIGTERM)
		begin, dots := time.Now(), 0
		for st.alive() && time.Since(begin) < stopTimeout && ctx.Err() == nil {
			time.Sleep(100 * time.Millisecond)
			if s := int(time.Since(begin) / time.Second); s > dots {
				fmt.Fprint(out, ".") // one per second
				dots = s
			}
		}
		fmt.Fprintln(out)
		if st.alive() {
			fmt.Fprintf(out, "the supervisor did not stop within %v: killing it\n", stopTimeout)
			_ = syscall.Kill(st.PID, syscall.SIGKILL)
		}
	} else {
		fmt.Fprintln(out, "the embedded cluster is not running")
	}
	if st.Network == NetworkRouted {
		if p, err := netip.ParsePrefix(st.PodCIDR); err == nil {
			removeRoute(p) // gone already unless the supervisor was killed
		}
		removeRoute(serviceCIDR)
	}
	_ = os.Remove(l.stateFile())
	left := Leftovers(l)
	if len(left) == 0 {
		return nil
	}
	for _, pid := range left {
		_ = syscall.Kill(pid, syscall.SIGKILL)
	}
	time.Sleep(500 * time.Millisecond)
	if left = Leftovers(l); len(left) > 0 {
		return fmt.Errorf("processes of the cluster still run after SIGKILL: %v", left)
	}
	fmt.Fprintln(out, "killed processes the supervisor had left behind")
	return nil
}

// Leftovers are the live processes marked as the cluster's (MarkerEnv).
func Leftovers(l Layout) []int {
	marker := []byte("\x00" + MarkerEnv + "=" + l.Dir + "\x00")
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == os.Getpid() {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err != nil || !bytes.Contains(append([]byte{0}, env...), marker) {
			continue
		}
		if stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat")); err == nil && zombie(stat) {
			continue
		}
		pids = append(pids, pid)
	}
	return pids
}

// zombie reads the state field of /proc/PID/stat.
func zombie(stat []byte) bool {
	i := bytes.LastIndexByte(stat, ')')
	return i >= 0 && i+2 < len(stat) && stat[i+2] == 'Z'
}

// ErrNotRunning says no supervisor runs for the folder.
var ErrNotRunning = errors.New("the embedded cluster is not running; start it with: sparkplane dev-cluster up")
