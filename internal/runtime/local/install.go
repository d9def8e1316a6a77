package local

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// Sparks gives the Spark of each version (see sparkdist.Installed and
// sparkdist.Ensure).
type Sparks struct {
	Installed func(version string) (sparkdist.Dist, bool)
	Install   func(ctx context.Context, version string) (sparkdist.Dist, error)
}

// fileNoStart records why a run whose Spark had to be installed first
// never started: {"reason": …, "message": …}.
const fileNoStart = "no-start"

// waiting is a run whose Spark is being installed.
type waiting struct {
	version   string
	cancelled bool // stopped meanwhile: never start it
}

// dist is the Spark run runs with; not ready when its version must be
// installed first (dist then has only its version, in SparkHome's place).
func (r *Runtime) dist(run *emr.JobRun) (sparkdist.Dist, bool, error) {
	if r.opts.Spark == nil {
		return r.opts.Dist, true, nil
	}
	rel, ok := emr.LookupRelease(run.ReleaseLabel)
	if !ok {
		return sparkdist.Dist{}, false, &runtime.SubmitError{Reason: emr.FailureValidation,
			Message: fmt.Sprintf("release label %s is not one EMR on EKS publishes", run.ReleaseLabel)}
	}
	if err := sparkdist.Supported(rel.Spark); err != nil {
		return sparkdist.Dist{}, false, &runtime.SubmitError{Reason: emr.FailureValidation, Message: fmt.Sprintf(
			"Release %s ships Apache Spark %s, which needs Java 8 and Python 3.7 or older; the local runtime has Java 17 and Python 3. "+
				"Use an emr-6.2.0 or later release, or a Kubernetes cluster with a Spark 2.4 image.",
			run.ReleaseLabel, rel.Spark)}
	}
	version := sparkdist.For(rel.Spark)
	if d, ok := r.opts.Spark.Installed(version); ok {
		return d, true, nil
	}
	return sparkdist.Dist{SparkHome: version}, false, nil
}

// installThenStart has run wait SUBMITTED while its Spark (version in
// want.SparkHome) is installed, which takes minutes, then starts it; Submit
// returns at once, so the controller's workers are not held meanwhile. A
// failed installation, or a start that fails, is recorded in the run's
// folder (fileNoStart) for Observe to report.
func (r *Runtime) installThenStart(key, dir string, run *emr.JobRun, want sparkdist.Dist) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create run folder: %w", err)
	}
	w := &waiting{version: want.SparkHome}
	r.mu.Lock()
	r.waiting[dir] = w
	r.mu.Unlock()
	r.opts.Logger.Info("run waits for its Spark to be installed", "run", key, "release", run.ReleaseLabel, "spark", w.version)
	copied := *run // the controller may change run meanwhile
	go func() {
		ctx := context.Background()
		dist, err := r.opts.Spark.Install(ctx, w.version)
		r.mu.Lock()
		cancelled := w.cancelled
		r.mu.Unlock()
		switch {
		case cancelled:
		case err != nil:
			r.opts.Logger.Warn("could not install Spark; the run fails", "run", key, "spark", w.version, "err", err)
			writeNoStart(dir, emr.FailureClusterUnavailable, fmt.Sprintf("Could not install Apache Spark %s for release %s: %v", w.version, run.ReleaseLabel, err))
		default:
			if err := r.start(ctx, key, dir, &copied, dist); err != nil {
				reason, msg := emr.FailureInternal, err.Error()
				if se, ok := runtime.AsSubmitError(err); ok {
					reason = se.Reason
				}
				writeNoStart(dir, reason, msg)
			}
		}
		r.mu.Lock()
		delete(r.waiting, dir)
		r.mu.Unlock()
		r.notify(key)
	}()
	return nil
}

// isWaiting reports whether the run in dir waits for its Spark.
func (r *Runtime) isWaiting(dir string) bool { return r.waitingFor(dir) != nil }

func (r *Runtime) waitingFor(dir string) *waiting {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.waiting[dir]
}

// cancelWaiting makes sure a run waiting for its Spark never starts.
func (r *Runtime) cancelWaiting(dir string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if w := r.waiting[dir]; w != nil {
		w.cancelled = true
	}
}

type noStartRecord struct {
	Reason  emr.FailureReason `json:"reason"`
	Message string            `json:"message"`
}

func writeNoStart(dir string, reason emr.FailureReason, msg string) {
	b, _ := json.Marshal(noStartRecord{Reason: reason, Message: msg})
	tmp := filepath.Join(dir, fileNoStart+".tmp")
	if os.WriteFile(tmp, b, 0o600) == nil {
		_ = os.Rename(tmp, filepath.Join(dir, fileNoStart))
	}
}

// noStart is the observation of a run that never started (see
// fileNoStart); false when it did, or may yet.
func noStart(dir string) (runtime.Observation, bool) {
	b, err := os.ReadFile(filepath.Join(dir, fileNoStart))
	if err != nil {
		if exists(filepath.Join(dir, filePID)) || exists(filepath.Join(dir, fileStdout)) {
			return runtime.Observation{}, false
		}
		// A folder with nothing in it: the server stopped while the run
		// waited for its Spark.
		if entries, err := os.ReadDir(dir); err == nil && len(entries) == 0 {
			return runtime.Observation{Phase: runtime.PhaseFailed, Reason: emr.FailureInternal,
				Details: "The server stopped while the run waited for its Spark to be installed; start the run again."}, true
		}
		return runtime.Observation{}, false
	}
	var rec noStartRecord
	if json.Unmarshal(b, &rec) != nil {
		rec = noStartRecord{Reason: emr.FailureInternal, Message: string(b)}
	}
	var at time.Time
	if fi, err := os.Stat(filepath.Join(dir, fileNoStart)); err == nil {
		at = fi.ModTime()
	}
	return runtime.Observation{Phase: runtime.PhaseFailed, Reason: rec.Reason, Details: rec.Message, EndedAt: at}, true
}

func exists(p string) bool { _, err := os.Stat(p); return err == nil }
