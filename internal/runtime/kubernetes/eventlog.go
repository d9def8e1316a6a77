package kubernetes

import (
	"context"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// withEventLog makes the driver of p write its Spark event log (the
// persistent Spark UI) into the folder Options.EventLogDir names for run,
// through S3A, when the run keeps its Spark UI and sets no spark.eventLog.*
// itself (sparksubmit.Submission.WithEventLog). A run without a folder
// writes none; a folder that cannot be prepared is logged and the run goes
// on without one: its UI, not its work, is lost.
func (r *Runtime) withEventLog(ctx context.Context, p *plan, run *emr.JobRun) {
	if r.opts.EventLogDir == nil || !sparksubmit.PersistentAppUI(run) || sparksubmit.OwnEventLog(p.sub.Effective()) {
		return
	}
	dir, err := r.opts.EventLogDir(ctx, run)
	if err != nil {
		r.opts.Logger.Warn("the run writes no Spark event log: its folder could not be prepared", "run", run.ID, "err", err)
		return
	}
	if dir == "" {
		r.opts.Logger.Info("the run writes no Spark event log: it has no logUri and the server no sparkUI.eventLogUri", "run", run.ID)
		return
	}
	p.sub.WithEventLog(run, dir)
}
