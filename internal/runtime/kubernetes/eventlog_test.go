package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// TestEventLogInSparkDefaults: the driver's event log goes to the folder
// EventLogDir names, in the spark-defaults ConfigMap; a run with
// persistentAppUI DISABLED or its own spark.eventLog.* is not asked about,
// and one with no folder (or whose folder could not be made) gets none.
func TestEventLogInSparkDefaults(t *testing.T) {
	var asked []string
	dirs := map[string]string{"0000000000000000001": "s3a://logs/vc1/jobs/0000000000000000001/sparklogs/"}
	r := New(Options{EventLogDir: func(_ context.Context, run *emr.JobRun) (string, error) {
		asked = append(asked, run.ID)
		if run.ID == "0000000000000000009" {
			return "", errors.New("AccessDenied")
		}
		return dirs[run.ID], nil
	}})
	for _, c := range []struct {
		name, id, params string
		m                *emr.MonitoringConfiguration
		asked            bool
		want             string // the event log folder in spark-defaults.conf; "": none
	}{
		{"default", "0000000000000000001", "", nil, true, "s3a://logs/vc1/jobs/0000000000000000001/sparklogs/"},
		{"no folder", "0000000000000000002", "", nil, true, ""},
		{"folder not made", "0000000000000000009", "", nil, true, ""},
		{"DISABLED", "0000000000000000001", "", &emr.MonitoringConfiguration{PersistentAppUI: "DISABLED"}, false, ""},
		{"its own", "0000000000000000001", "--conf spark.eventLog.enabled=false", nil, false, ""},
	} {
		asked = nil
		vc, run := testRun(c.params)
		run.ID = c.id
		run.ConfigurationOverrides.MonitoringConfiguration = c.m
		p, err := newPlan(vc, run, &r.opts)
		if err != nil {
			t.Fatal(err)
		}
		r.withEventLog(context.Background(), p, run)
		if (len(asked) == 1) != c.asked {
			t.Errorf("%s: EventLogDir asked %v", c.name, asked)
		}
		file := p.sub.DefaultsFile()
		if c.want == "" {
			if strings.Contains(file, "spark.eventLog.dir") || strings.Contains(file, "spark.eventLog.enabled true") {
				t.Errorf("%s: an event log in\n%s", c.name, file)
			}
			continue
		}
		for _, want := range []string{"spark.eventLog.enabled true\n", "spark.eventLog.dir " + c.want + "\n", "spark.eventLog.rolling.enabled true\n"} {
			if !strings.Contains(file, want) {
				t.Errorf("%s: spark-defaults.conf lacks %q:\n%s", c.name, want, file)
			}
		}
	}
}
