package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/rundir"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// EventLogKeeper keeps the Spark event logs of run attempts that ended
// (persistentAppUI), for the Spark UI after the fact.
type EventLogKeeper interface {
	// KeepEventLog keeps what the folder dir holds: the event logs of
	// run's current attempt. dir belongs to the job's user, who may have
	// put anything there (links included): it is read as untrusted.
	KeepEventLog(ctx context.Context, run *emr.JobRun, dir string) error
}

// dirEventLog is the folder of a working folder that the driver writes its
// event log into.
const dirEventLog = sparksubmit.EventLogFolder

// eventLogDir is the URI of the event log folder of the working folder work.
func eventLogDir(work string) string { return "file://" + filepath.Join(work, dirEventLog) }

// withEventLog makes sub write its event log into the working folder of
// run's current attempt (dir: its run folder) when Options.EventLogs keeps
// event logs and the run wants its Spark UI kept (see
// sparksubmit.Submission.WithEventLog).
func (r *Runtime) withEventLog(run *emr.JobRun, sub *sparksubmit.Submission, dir string) {
	if r.opts.EventLogs != nil {
		sub.WithEventLog(run, eventLogDir(r.workFolder(run, dir)))
	}
}

// makeEventLogDir makes the event log folder of the working folder work
// when sub writes its event log there, owned by u (nil: this process's
// user): Spark refuses to start when it is missing.
func makeEventLogDir(sub *sparksubmit.Submission, work string, u *jobUser) error {
	if sub.Effective()["spark.eventLog.dir"] != eventLogDir(work) {
		return nil
	}
	p := filepath.Join(work, dirEventLog)
	if err := os.Mkdir(p, 0o700); err != nil && !errors.Is(err, os.ErrExist) {
		return fmt.Errorf("create the event log folder: %w", err)
	}
	if u != nil {
		if err := os.Lchown(p, u.uid, u.gid); err != nil {
			return fmt.Errorf("chown the event log folder: %w", err)
		}
	}
	return nil
}

// keepEventLog hands the event log folder of run's current attempt to
// Options.EventLogs, once the attempt has ended; a run without one is
// skipped.
func (r *Runtime) keepEventLog(ctx context.Context, run *emr.JobRun) error {
	if r.opts.EventLogs == nil {
		return nil
	}
	src := filepath.Join(r.workFolder(run, rundir.Path(r.opts.Dir, run)), dirEventLog)
	if st, err := os.Lstat(src); err != nil || !st.IsDir() {
		return nil // persistentAppUI DISABLED, its own spark.eventLog.*, or it never started
	}
	if err := r.opts.EventLogs.KeepEventLog(ctx, run, src); err != nil {
		return fmt.Errorf("keep the Spark event log: %w", err)
	}
	return nil
}
