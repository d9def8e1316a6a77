package devcluster

import (
	"bytes"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestFollowerCopiesCompleteLines(t *testing.T) {
	path := filepath.Join(t.TempDir(), "log")
	var out bytes.Buffer
	f := &follower{path: path, out: &out}
	f.flush() // no file yet
	write := func(s string) {
		fh, err := os.OpenFile(path, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
		if err != nil {
			t.Fatal(err)
		}
		fh.WriteString(s)
		fh.Close()
	}
	write("one\ntw")
	f.flush()
	if out.String() != "  one\n" {
		t.Fatalf("after a partial line: %q", out.String())
	}
	write("o\nthree\n")
	f.flush()
	if out.String() != "  one\n  two\n  three\n" {
		t.Fatalf("got %q", out.String())
	}
}

func TestLeftoversFindsMarkedProcessesOnly(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	marked := exec.Command("sleep", "60")
	marked.Env = append(os.Environ(), MarkerEnv+"="+l.Dir)
	other := exec.Command("sleep", "60")
	other.Env = append(os.Environ(), MarkerEnv+"="+l.Dir+"-other") // another cluster's folder
	for _, c := range []*exec.Cmd{marked, other} {
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { c.Process.Kill(); c.Wait() }()
	}
	got := Leftovers(l)
	if !slices.Contains(got, marked.Process.Pid) || slices.Contains(got, other.Process.Pid) {
		t.Fatalf("Leftovers = %v, want %d and not %d", got, marked.Process.Pid, other.Process.Pid)
	}
}

func TestReadStateOfADeadSupervisor(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	if _, ok, err := l.ReadState(); ok || err != nil {
		t.Fatalf("no state: ok %v err %v", ok, err)
	}
	c := exec.Command("true")
	if err := c.Run(); err != nil {
		t.Fatal(err)
	}
	if err := l.writeState(State{PID: c.Process.Pid, Ready: true, StartedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	st, ok, err := l.ReadState()
	if ok || err != nil || !st.Ready {
		t.Fatalf("dead supervisor: %+v ok %v err %v", st, ok, err)
	}
	start, err := startTime(os.Getpid())
	if err != nil {
		t.Fatal(err)
	}
	if err := l.writeState(State{PID: os.Getpid(), PIDStart: start}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := l.ReadState(); !ok {
		t.Fatal("a live supervisor reads as not running")
	}
	// The same pid with another start time is a later process that reused it.
	if err := l.writeState(State{PID: os.Getpid(), PIDStart: start + 1}); err != nil {
		t.Fatal(err)
	}
	if _, ok, _ := l.ReadState(); ok {
		t.Fatal("a reused pid reads as the supervisor")
	}
}

func TestOneClusterPerMachine(t *testing.T) {
	path := filepath.Join(t.TempDir(), "lock")
	first, err := lockFile(path, "/data/one")
	if err != nil {
		t.Fatal(err)
	}
	defer first.Close()
	if _, err := lockFile(path, "/data/two"); err == nil || !strings.Contains(err.Error(), "/data/one") {
		t.Fatalf("second lock: %v, want an error naming /data/one", err)
	}
}

func TestAPIServerIPIsTheRangesFirstAddress(t *testing.T) {
	ip, err := apiServerIP(netip.MustParsePrefix("10.244.0.0/16"))
	if err != nil || ip.String() != "10.244.0.1" {
		t.Fatalf("got %v %v", ip, err)
	}
}
