package config

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Retention says how long what finished runs leave behind is kept (see
// package retention). Periods are Go durations ("2160h") or whole days
// ("90d"); "0" keeps for ever; empty takes the default.
type Retention struct {
	// JobRuns is how long a COMPLETED, FAILED or CANCELLED run is kept
	// after it finished: its record (DescribeJobRun, ListJobRuns), events,
	// stored logs, run folder and local event logs (default "90d").
	JobRuns string `json:"jobRuns"`
	// Usage is how long the raw usage records of cost reports are kept
	// after the pod ended (default: JobRuns, and at most that: a purged
	// run's records go with it). Reports over whole days older than that
	// answer from the daily rollups.
	Usage string `json:"usage"`
	// CostRollups is how long the daily cost rollups are kept (default
	// "396d", 13 months: a year to compare with, and the month in
	// progress); at least Usage, and "0" when Usage is.
	CostRollups string `json:"costRollups"`
	// Interval is how often the server that holds the retention lease
	// looks for what to remove (default "1h").
	Interval string `json:"interval"`
	// BatchSize is how many runs (or usage records) one transaction
	// removes (default 100, at most 10,000): on SQLite, API writes wait
	// for at most one batch.
	BatchSize int `json:"batchSize"`
}

// Defaults of Retention. DefaultJobRunRetention is 90 days. AWS states no
// period for which EMR on EKS keeps a finished job run listed: the
// ListJobRuns and DescribeJobRun API references
// (https://docs.aws.amazon.com/emr-on-eks/latest/APIReference/API_ListJobRuns.html)
// give none, so sparkplane picks a quarter and lets retention.jobRuns
// change it.
const (
	DefaultJobRunRetention     = 90 * 24 * time.Hour
	DefaultCostRollupRetention = 396 * 24 * time.Hour
	DefaultRetentionInterval   = time.Hour
	DefaultRetentionBatch      = 100
	MaxRetentionBatch          = 10_000
)

// parsePeriod reads a period: a Go duration or whole days ("90d"); ""
// is def.
func parsePeriod(s string, def time.Duration) (time.Duration, error) {
	if s == "" {
		return def, nil
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 || n > 100*365 {
			return 0, fmt.Errorf("want whole days from 0 to 36500")
		}
		return time.Duration(n) * 24 * time.Hour, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("want a duration such as \"2160h\" or \"90d\"")
	}
	if d < 0 {
		return 0, fmt.Errorf("want 0 (for ever) or a positive duration")
	}
	return d, nil
}

// JobRunPeriod is JobRuns as a duration; 0: kept for ever.
func (r Retention) JobRunPeriod() time.Duration {
	d, _ := parsePeriod(r.JobRuns, DefaultJobRunRetention)
	return d
}

// UsagePeriod is Usage as a duration (JobRunPeriod when empty); 0: kept
// for ever.
func (r Retention) UsagePeriod() time.Duration {
	d, _ := parsePeriod(r.Usage, r.JobRunPeriod())
	return d
}

// CostRollupPeriod is CostRollups as a duration; 0: kept for ever. When
// the raw usage is kept for ever and CostRollups is empty, so are the
// rollups.
func (r Retention) CostRollupPeriod() time.Duration {
	def := DefaultCostRollupRetention
	if u := r.UsagePeriod(); u == 0 {
		def = 0
	} else if u > def {
		def = u
	}
	d, _ := parsePeriod(r.CostRollups, def)
	return d
}

// IntervalDuration is Interval as a duration.
func (r Retention) IntervalDuration() time.Duration {
	d, err := time.ParseDuration(r.Interval)
	if err != nil || d <= 0 {
		return DefaultRetentionInterval
	}
	return d
}

// Batch is BatchSize, or its default.
func (r Retention) Batch() int {
	if r.BatchSize <= 0 {
		return DefaultRetentionBatch
	}
	return r.BatchSize
}

func (r Retention) validate() error {
	for _, p := range []struct{ field, value string }{
		{"jobRuns", r.JobRuns}, {"usage", r.Usage}, {"costRollups", r.CostRollups},
	} {
		if _, err := parsePeriod(p.value, 0); err != nil {
			return fmt.Errorf("retention.%s %q: %w", p.field, p.value, err)
		}
	}
	if r.Interval != "" {
		if d, err := time.ParseDuration(r.Interval); err != nil || d < time.Second {
			return fmt.Errorf("retention.interval %q: want a duration of at least 1s, such as \"1h\"", r.Interval)
		}
	}
	if r.BatchSize < 0 || r.BatchSize > MaxRetentionBatch {
		return fmt.Errorf("retention.batchSize %d: want 1 to %d (0: %d)", r.BatchSize, MaxRetentionBatch, DefaultRetentionBatch)
	}
	runs, usage, rollups := r.JobRunPeriod(), r.UsagePeriod(), r.CostRollupPeriod()
	if runs != 0 && (usage == 0 || usage > runs) {
		return fmt.Errorf("retention.usage %q: want at most retention.jobRuns (%s): a run's usage records go with it", r.Usage, runs)
	}
	if rollups != 0 && (usage == 0 || rollups < usage) {
		return fmt.Errorf("retention.costRollups %q: want at least retention.usage (%s), or 0 (for ever): "+
			"reports over days whose records are gone read the rollups", r.CostRollups, usage)
	}
	return nil
}
