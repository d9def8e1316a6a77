package local

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Files of a run's folder.
const (
	fileDefaults = "spark-defaults.conf"
	fileStdout   = runtime.StreamStdout
	fileStderr   = runtime.StreamStderr
	filePID      = "pid"
	fileExit     = "exit"
)

// envRunKey marks every process of a run attempt with its folder, so one whose pid file was never
// written (the server died right after starting it) is still found.
const envRunKey = "SPARKPLANE_JOB_RUN"

// wrapper runs spark-submit and records its exit code in the run's folder
// ($1), where it outlives the server that started it. $2 is the job's
// umask ("": the server's); the command follows. The wrapper runs as the
// server's user even when the job does not (see runas.go), so the job
// cannot write the record.
const wrapper = `rec=$1; [ -z "$2" ] || umask "$2"; shift 2; "$@"; code=$?; ` +
	`printf %s "$code" > "$rec/` + fileExit + `.tmp" && mv "$rec/` + fileExit + `.tmp" "$rec/` + fileExit + `"; exit "$code"`

// pidRecord identifies a process across restarts: a pid alone may be reused.
type pidRecord struct {
	PID       int    `json:"pid"`
	StartTime uint64 `json:"startTime"` // field 22 of /proc/<pid>/stat
}

// proc is a spark-submit process group being watched.
type proc struct {
	dir     string
	pid     int
	done    chan struct{} // closed when the process has ended
	exit    atomic.Int64  // exit code once done; -1 when unknown
	running atomic.Bool   // the driver has logged that it started
}

func newProc(dir string, pid int) *proc {
	p := &proc{dir: dir, pid: pid, done: make(chan struct{})}
	p.exit.Store(-1)
	return p
}

func (p *proc) ended() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// exitCode returns the exit code the wrapper recorded, or -1.
func readExitCode(dir string) int {
	b, err := os.ReadFile(filepath.Join(dir, fileExit))
	if err != nil {
		return -1
	}
	n, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		return -1
	}
	return n
}

// exitTime is when spark-submit recorded its exit code; zero if unknown.
func exitTime(dir string) time.Time {
	fi, err := os.Stat(filepath.Join(dir, fileExit))
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}

func writePID(dir string, pid int) error {
	st, err := procStartTime(pid)
	if err != nil {
		return err
	}
	b, _ := json.Marshal(pidRecord{PID: pid, StartTime: st})
	tmp := filepath.Join(dir, filePID+".tmp")
	if err := os.WriteFile(tmp, b, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, filepath.Join(dir, filePID))
}

func readPID(dir string) (pidRecord, bool) {
	var rec pidRecord
	b, err := os.ReadFile(filepath.Join(dir, filePID))
	if err != nil || json.Unmarshal(b, &rec) != nil || rec.PID <= 0 {
		return rec, false
	}
	return rec, true
}

// procStartTime reads when pid started, in clock ticks since boot.
func procStartTime(pid int) (uint64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name (field 2) is in parentheses and may hold spaces.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	fields := strings.Fields(string(b[i+1:]))
	if len(fields) < 20 {
		return 0, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	return strconv.ParseUint(fields[19], 10, 64) // field 22 overall
}

// alive reports whether the process rec describes still runs.
func alive(rec pidRecord) bool {
	st, err := procStartTime(rec.PID)
	return err == nil && st == rec.StartTime && !zombie(rec.PID)
}

func zombie(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return true
	}
	i := bytes.LastIndexByte(b, ')')
	return i >= 0 && i+2 < len(b) && b[i+2] == 'Z'
}

// findByEnv looks for a live process of this server's user carrying
// envRunKey=key: the wrapper. (A job running as another user may carry
// any marker it likes; it is never taken for a wrapper.)
func findByEnv(key string) (int, bool) {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return 0, false
	}
	want := []byte(envRunKey + "=" + key + "\x00")
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := os.Stat(filepath.Join("/proc", e.Name())); err != nil || !ownedByUs(st) {
			continue
		}
		env, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if err == nil && bytes.Contains(append(env, 0), want) {
			return pid, true
		}
	}
	return 0, false
}

// waitForeign blocks until pid, which is not our child, has ended: on a
// pidfd where the kernel has one, by polling otherwise.
func waitForeign(rec pidRecord) {
	if fd, err := unix.PidfdOpen(rec.PID, 0); err == nil {
		defer unix.Close(fd)
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		for {
			_, err := unix.Poll(fds, -1)
			if !errors.Is(err, unix.EINTR) {
				return
			}
		}
	}
	for alive(rec) {
		time.Sleep(500 * time.Millisecond)
	}
}

// groupGone waits up to d for every process of the group led by pid to end.
func groupGone(ctx context.Context, pid int, d time.Duration) bool {
	deadline := time.Now().Add(d)
	for {
		if err := syscall.Kill(-pid, 0); errors.Is(err, syscall.ESRCH) {
			return true
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return false
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// signalGroup sends sig to the process group led by pid.
func signalGroup(pid int, sig syscall.Signal) {
	_ = syscall.Kill(-pid, sig)
}
