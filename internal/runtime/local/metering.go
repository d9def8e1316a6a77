package local

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// Metering: a local run attempt is one usage record of component "local"
// on this host (cost.Usage.Node is the hostname): CPU is the N of the
// local[N] master it runs with (spark.executor.instances ×
// spark.executor.cores), memory is spark.driver.memory (default 1g). In
// local mode the executors are threads of the driver's JVM, so
// spark.executor.memory does not apply and is not metered. Start is when
// spark-submit started (its pid file), End when it ended (its exit file).
// The record is written when the process starts and again when it ends, and
// once more when a server finds an attempt that ended while none watched.
// Options.InstanceType prices the host like that EC2 instance type;
// without it the fallback prices apply (flagged fallback-price).

// defaultDriverMemory is Spark's spark.driver.memory default.
const defaultDriverMemory = "1g"

// resources are what a run attempt is metered for.
func resources(eff map[string]string) (cost.Resources, error) {
	threads, err := localThreads(eff)
	if err != nil {
		return cost.Resources{}, err
	}
	mem := eff["spark.driver.memory"]
	if mem == "" {
		mem = defaultDriverMemory
	}
	bytes, err := parseJVMSize(mem)
	if err != nil {
		return cost.Resources{}, fmt.Errorf("spark.driver.memory: %w", err)
	}
	return cost.Resources{CPU: float64(threads), Memory: bytes}, nil
}

// localThreads is the N of local[N]: executor instances × cores, at least 1.
func localThreads(eff map[string]string) (int, error) {
	instances, cores, err := sparksubmit.Executors(eff)
	if err != nil {
		return 0, err
	}
	return max(instances*cores, 1), nil
}

// parseJVMSize reads a JVM memory size as Spark does for
// spark.driver.memory: a whole number with an optional k, m, g, t or p
// suffix (optionally followed by b), MiB without one.
func parseJVMSize(s string) (int64, error) {
	v := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "b")
	shift := 20
	if n := len(v); n > 0 {
		if i := strings.IndexByte("kmgtp", v[n-1]); i >= 0 {
			shift, v = 10*(i+1), v[:n-1]
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > (1<<62)>>shift {
		return 0, fmt.Errorf("%q is not a memory size like 512m or 2g", s)
	}
	return n << shift, nil
}

// usage is the record of run's current attempt, started at start and ended
// at end (zero: running).
func (r *Runtime) usage(run *emr.JobRun, res cost.Resources, start, end time.Time) cost.Usage {
	u := cost.Usage{
		JobRunID:         run.ID,
		VirtualClusterID: run.VirtualClusterID,
		Attempt:          run.Attempt(),
		Pod:              "spark-submit",
		Component:        cost.ComponentLocal,
		Node:             r.host,
		InstanceType:     r.opts.InstanceType,
		Request:          res,
		Limit:            res,
		Start:            start.UTC().Truncate(time.Millisecond),
	}
	if r.opts.InstanceType != "" {
		u.CapacityType = cost.OnDemand
	}
	if !end.IsZero() {
		u.End = end.UTC().Truncate(time.Millisecond)
		if u.End.Before(u.Start) {
			u.End = u.Start
		}
	}
	return u
}

// record writes u, logging (not failing the run) when it cannot.
func (r *Runtime) record(u cost.Usage) {
	if r.opts.Usage == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.opts.Usage.RecordUsage(ctx, u); err != nil {
		r.opts.Logger.Warn("could not record usage", "run", u.JobRunID, "attempt", u.Attempt, "err", err)
	}
}

// recordEnded records the attempt in dir as ended, when spark-submit
// wrote its exit file (else when it last wrote to stderr: it was killed, and
// that is the last sign of it), from its pid file's time on. res is what it
// was metered for at start, nil to work it out from run again.
func (r *Runtime) recordEnded(run *emr.JobRun, dir string, res *cost.Resources) {
	if r.opts.Usage == nil {
		return
	}
	var end time.Time
	for _, f := range []string{fileExit, fileStderr, filePID} {
		if fi, err := os.Stat(filepath.Join(dir, f)); err == nil {
			end = fi.ModTime()
			break
		}
	}
	if end.IsZero() {
		return // never started
	}
	start := end
	if fi, err := os.Stat(filepath.Join(dir, filePID)); err == nil && fi.ModTime().Before(end) {
		start = fi.ModTime()
	}
	if res == nil {
		sub, err := sparksubmit.Build(run, r.opts.Defaults)
		if err != nil {
			return
		}
		got, err := resources(sub.Effective())
		if err != nil {
			return
		}
		res = &got
	}
	r.record(r.usage(run, *res, start, end))
}

// hostname names this host in usage records.
func hostname() string {
	h, err := os.Hostname()
	if err != nil || h == "" {
		return "localhost"
	}
	return h
}
