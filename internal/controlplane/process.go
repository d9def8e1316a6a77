package controlplane

import (
	"fmt"
	"github.com/sparkplane/sparkplane/internal/buildscript"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"time"
)

// process is a child started in its own process group with its output in a
// log file.
type process struct {
	name    string
	logPath string
	cmd     *exec.Cmd
	done    chan struct{}
	err     error // result of Wait, valid once done is closed
}

func startProcess(dir, name, bin string, args ...string) (*process, error) {
	logPath := filepath.Join(dir, name+".log")
	f, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("controlplane: create %s log: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = sysProcAttr()
	if err := cmd.Start(); err != nil {
		f.Close()
		return nil, fmt.Errorf("controlplane: start %s: %w", name, err)
	}
	p := &process{name: name, logPath: logPath, cmd: cmd, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return p, nil
}

// exited returns an error if the process has already ended.
func (p *process) exited() error {
	select {
	case <-p.done:
		return fmt.Errorf("controlplane: %s exited early: %v", p.name, p.err)
	default:
		return nil
	}
}

// stop sends SIGTERM to the process group, then SIGKILL after grace.
func (p *process) stop(grace time.Duration) {
	pgid := -p.cmd.Process.Pid
	select {
	case <-p.done:
		_ = syscall.Kill(pgid, syscall.SIGKILL) // leftovers of the group, if any
		return
	default:
	}
	_ = syscall.Kill(pgid, syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = syscall.Kill(pgid, syscall.SIGKILL)
		<-p.done
	}
}

// tailLines returns the last n lines of the file at path (reading at most its
// last 256 KiB).
func tailLines(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	const maxRead = 256 << 10
	if st, err := f.Stat(); err == nil && st.Size() > maxRead {
		_, _ = f.Seek(-maxRead, io.SeekEnd)
	}
	data, err := io.ReadAll(f)
	if err != nil {
		return err.Error()
	}
	return buildscript.LastLines(string(data), n)
}

// etcdPorts returns etcd's client and peer ports: free ones, remembered in
// dir when keep is set so that a kept etcd keeps its addresses.
func etcdPorts(dir string, keep bool) ([]int, error) {
	path := filepath.Join(dir, "etcd-ports")
	if keep {
		var client, peer int
		if data, err := os.ReadFile(path); err == nil {
			if _, err := fmt.Sscanf(string(data), "%d %d", &client, &peer); err == nil && client > 0 && peer > 0 {
				return []int{client, peer}, nil
			}
		}
	}
	ports, err := freePorts(2)
	if err != nil {
		return nil, err
	}
	if keep {
		if err := os.WriteFile(path, []byte(fmt.Sprintf("%d %d\n", ports[0], ports[1])), 0o600); err != nil {
			return nil, fmt.Errorf("controlplane: %w", err)
		}
	}
	return ports, nil
}

// freePorts returns n distinct free TCP ports on 127.0.0.1.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("controlplane: find free port: %w", err)
		}
		defer l.Close() // held until all are picked, so they differ
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
