package devcluster

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"
)

// clockTicks is USER_HZ, the unit of /proc/<pid>/stat's times (100 on
// every Linux architecture Go supports).
const clockTicks = 100

// procStat is what the peer benchmark reads of one process.
type procStat struct {
	ppid int
	// cpu is utime+stime+cutime+cstime: the process's own CPU and that of
	// the children it waited for (the operator's spark-submit JVMs).
	cpu time.Duration
}

// readProcStat parses /proc/<pid>/stat.
func readProcStat(pid int) (procStat, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return procStat{}, err
	}
	// The command name (field 2) may hold spaces; the fields after it start
	// after its closing parenthesis.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 15 { // f[0] is field 3 (state)
		return procStat{}, fmt.Errorf("malformed /proc/%d/stat", pid)
	}
	var st procStat
	if st.ppid, err = strconv.Atoi(f[1]); err != nil {
		return procStat{}, fmt.Errorf("/proc/%d/stat ppid: %w", pid, err)
	}
	var ticks int64
	for _, field := range f[11:15] { // utime, stime, cutime, cstime (fields 14-17)
		n, err := strconv.ParseInt(field, 10, 64)
		if err != nil {
			return procStat{}, fmt.Errorf("/proc/%d/stat times: %w", pid, err)
		}
		ticks += n
	}
	st.cpu = time.Duration(ticks) * time.Second / clockTicks
	return st, nil
}

// statusKB reads a "Key: N kB" line of /proc/<pid>/status.
func statusKB(pid int, key string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, key+":"); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, fmt.Errorf("no %s in /proc/%d/status", key, pid)
}

// resetPeakRSS sets the process's VmHWM back to its current RSS (writing 5
// to clear_refs, Linux ≥ 4.0), so the next reading is the peak of what
// comes after.
func resetPeakRSS(pid int) error {
	return os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", pid), []byte("5"), 0)
}

// descendants returns pid's live child processes, their children and so on.
func descendants(pid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	children := map[int][]int{}
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if st, err := readProcStat(p); err == nil {
			children[st.ppid] = append(children[st.ppid], p)
		}
	}
	var out []int
	for queue := children[pid]; len(queue) > 0; queue = queue[1:] {
		out = append(out, queue[0])
		queue = append(queue, children[queue[0]]...)
	}
	return out
}

// procMeter measures a controller process over one scenario: its CPU
// (children included), its peak RSS (VmHWM), and the peak of its process
// tree's summed RSS, sampled every 250 ms (the operator's concurrent
// spark-submit JVMs are its children).
type procMeter struct {
	pid      int
	cpuStart time.Duration
	stop     chan struct{}
	done     sync.WaitGroup
	mu       sync.Mutex
	treeKB   int64
}

func startProcMeter(pid int) (*procMeter, error) {
	if err := resetPeakRSS(pid); err != nil {
		return nil, fmt.Errorf("reset the peak RSS of %d: %w", pid, err)
	}
	st, err := readProcStat(pid)
	if err != nil {
		return nil, err
	}
	m := &procMeter{pid: pid, cpuStart: st.cpu, stop: make(chan struct{})}
	m.done.Go(func() {
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		for {
			m.sampleTree()
			select {
			case <-m.stop:
				return
			case <-t.C:
			}
		}
	})
	return m, nil
}

func (m *procMeter) sampleTree() {
	var kb int64
	for _, p := range append([]int{m.pid}, descendants(m.pid)...) {
		if v, err := statusKB(p, "VmRSS"); err == nil {
			kb += v
		}
	}
	m.mu.Lock()
	m.treeKB = max(m.treeKB, kb)
	m.mu.Unlock()
}

// procUsage is what a procMeter measured.
type procUsage struct {
	cpu            time.Duration
	peakMB, treeMB float64
}

// finish stops the sampling and returns the figures.
func (m *procMeter) finish() (procUsage, error) {
	close(m.stop)
	m.done.Wait()
	st, err := readProcStat(m.pid)
	if err != nil {
		return procUsage{}, err
	}
	hwm, err := statusKB(m.pid, "VmHWM")
	if err != nil {
		return procUsage{}, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	return procUsage{cpu: st.cpu - m.cpuStart, peakMB: float64(hwm) / 1024, treeMB: float64(m.treeKB) / 1024}, nil
}
