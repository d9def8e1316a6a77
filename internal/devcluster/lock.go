package devcluster

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// machineLock is held by the one supervisor a machine can run: the pod
// range, its route and port 443 on the apiserver's address are the
// machine's, not a folder's.
const machineLock = "/run/sparkplane-dev-cluster.lock"

// lockMachine takes the machine lock for the cluster in dir, or says which
// cluster holds it. The lock lasts as long as the returned file is open.
func lockMachine(dir string) (*os.File, error) {
	path := machineLock
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		path = filepath.Join(os.TempDir(), filepath.Base(machineLock))
	}
	return lockFile(path, dir)
}

func lockFile(path, dir string) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("machine lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		holder, _ := os.ReadFile(path)
		f.Close()
		return nil, fmt.Errorf("another embedded cluster runs on this machine (folder %s); stop it first with: sparkplane dev-cluster down --data-dir <its data dir>",
			strings.TrimSpace(string(holder)))
	}
	if err := f.Truncate(0); err == nil {
		_, _ = f.WriteAt([]byte(dir+"\n"), 0)
	}
	return f, nil
}

// startTime is the start time of process pid in clock ticks since boot
// (field 22 of /proc/PID/stat), which tells a process from a later one
// that reused its pid.
func startTime(pid int) (uint64, error) {
	data, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(data)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	fields := strings.Fields(s[i+1:])
	if len(fields) < 20 {
		return 0, fmt.Errorf("/proc/%d/stat: unexpected format", pid)
	}
	var t uint64
	_, err = fmt.Sscan(fields[19], &t) // field 22 counted from the pid
	return t, err
}
