package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const day = 24 * time.Hour

func TestRetentionDefaults(t *testing.T) {
	var r Retention
	if err := r.validate(); err != nil {
		t.Fatalf("validate() = %v", err)
	}
	if r.JobRunPeriod() != 90*day || r.UsagePeriod() != 90*day || r.CostRollupPeriod() != 396*day ||
		r.IntervalDuration() != time.Hour || r.Batch() != 100 {
		t.Errorf("defaults = %v %v %v %v %d", r.JobRunPeriod(), r.UsagePeriod(), r.CostRollupPeriod(), r.IntervalDuration(), r.Batch())
	}
}

func TestRetentionConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(`
retention:
  jobRuns: 60d
  usage: 1000h
  costRollups: 800d
  interval: 10m
  batchSize: 200
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.DataDir = t.TempDir()
	if err := c.Load(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	r := c.Retention
	if r.JobRunPeriod() != 60*day || r.UsagePeriod() != 1000*time.Hour || r.CostRollupPeriod() != 800*day ||
		r.IntervalDuration() != 10*time.Minute || r.Batch() != 200 {
		t.Errorf("periods = %v %v %v %v %d", r.JobRunPeriod(), r.UsagePeriod(), r.CostRollupPeriod(), r.IntervalDuration(), r.Batch())
	}
}

// "0" keeps for ever; rollups then default to for ever too, and a usage
// period longer than the rollups' default lengthens theirs.
func TestRetentionForEver(t *testing.T) {
	r := Retention{JobRuns: "0"}
	if err := r.validate(); err != nil {
		t.Fatalf("validate() = %v", err)
	}
	if r.JobRunPeriod() != 0 || r.UsagePeriod() != 0 || r.CostRollupPeriod() != 0 {
		t.Errorf("periods = %v %v %v, want all 0", r.JobRunPeriod(), r.UsagePeriod(), r.CostRollupPeriod())
	}
	r = Retention{JobRuns: "500d"}
	if err := r.validate(); err != nil || r.UsagePeriod() != 500*day || r.CostRollupPeriod() != 500*day {
		t.Errorf("jobRuns 500d: validate() = %v, usage %v, rollups %v", err, r.UsagePeriod(), r.CostRollupPeriod())
	}
}

func TestRetentionConfigErrors(t *testing.T) {
	for _, tc := range []struct {
		r     Retention
		field string
	}{
		{Retention{JobRuns: "-1h"}, "retention.jobRuns"},
		{Retention{JobRuns: "soon"}, "retention.jobRuns"},
		{Retention{Usage: "1.5d"}, "retention.usage"},
		{Retention{CostRollups: "-3d"}, "retention.costRollups"},
		{Retention{Usage: "60d", CostRollups: "30d"}, "retention.costRollups"},
		{Retention{JobRuns: "0", CostRollups: "30d"}, "retention.costRollups"},
		{Retention{Usage: "100d"}, "retention.usage"},
		{Retention{Usage: "0"}, "retention.usage"},
		{Retention{Interval: "0s"}, "retention.interval"},
		{Retention{Interval: "10ms"}, "retention.interval"},
		{Retention{BatchSize: -1}, "retention.batchSize"},
		{Retention{BatchSize: 10_001}, "retention.batchSize"},
	} {
		err := tc.r.validate()
		if err == nil || !strings.HasPrefix(err.Error(), tc.field+" ") {
			t.Errorf("%+v: validate() = %v, want an error naming %s", tc.r, err, tc.field)
		}
	}
}
