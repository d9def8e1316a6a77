package app

import (
	"log/slog"
	"os"
	"path/filepath"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/retention"
	"github.com/sparkplane/sparkplane/internal/store"
)

// newPurger returns the retention of cfg over st: servers sharing a
// PostgreSQL store purge it from one of them at a time (the retention
// lease, held as owner); each sweeps its own folders under the data dir.
func newPurger(cfg config.Config, st store.Store, owner string, mx *serverMetrics, log *slog.Logger) *retention.Purger {
	r := cfg.Retention
	opts := retention.Options{
		JobRuns: r.JobRunPeriod(), Usage: r.UsagePeriod(), CostRollups: r.CostRollupPeriod(),
		Interval: r.IntervalDuration(), Batch: r.Batch(),
		Dirs: retention.Dirs{
			Runs: []string{filepath.Join(cfg.DataDir, "runs"), filepath.Join(cfg.DataDir, "eventlogs")},
			Aged: []string{filepath.Join(cfg.DataDir, "logship"), filepath.Join(cfg.SparkUIDir(), "logs")},
		},
		Purged: mx.purged(),
		Logger: log.With("component", "retention"),
	}
	if os.Geteuid() == 0 { // local runs are isolated, their working folders apart (local.Options.Isolate)
		opts.Dirs.Runs = append(opts.Dirs.Runs, cfg.Local.WorkRoot())
	}
	if kind, _ := cfg.StoreKind(); kind == config.StorePostgres {
		opts.Leases, opts.Owner = st, owner
	}
	return retention.New(st, opts)
}

// purged counts what retention removes; nil when metrics are off.
func (s *serverMetrics) purged() func(kind string, n int) {
	if s == nil {
		return nil
	}
	return s.m.Purged
}
