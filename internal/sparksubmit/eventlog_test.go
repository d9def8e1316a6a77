package sparksubmit

import (
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func TestWithEventLog(t *testing.T) {
	withConf := func(conf string, m *emr.MonitoringConfiguration, cls map[string]string) *emr.JobRun {
		run := &emr.JobRun{ID: "r", VirtualClusterID: "vc", JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
			EntryPoint: "local:///x.py", SparkSubmitParameters: conf}},
			ConfigurationOverrides: &emr.ConfigurationOverrides{MonitoringConfiguration: m}}
		if cls != nil {
			run.ConfigurationOverrides.ApplicationConfiguration = []emr.Configuration{{Classification: "spark-defaults", Properties: cls}}
		}
		return run
	}
	for _, c := range []struct {
		name    string
		run     *emr.JobRun
		written bool
	}{
		{"default: ENABLED", withConf("", nil, nil), true},
		{"ENABLED", withConf("", &emr.MonitoringConfiguration{PersistentAppUI: "ENABLED"}, nil), true},
		{"DISABLED", withConf("", &emr.MonitoringConfiguration{PersistentAppUI: "DISABLED"}, nil), false},
		{"own event log in --conf", withConf("--conf spark.eventLog.enabled=false", nil, nil), false},
		{"own event log dir in spark-defaults", withConf("", nil, map[string]string{"spark.eventLog.dir": "s3a://mine/"}), false},
		{"other properties", withConf("--conf spark.executor.cores=2", nil, map[string]string{"spark.ui.enabled": "false"}), true},
	} {
		t.Run(c.name, func(t *testing.T) {
			sub, err := Build(c.run, map[string]string{"spark.driver.memory": "1g"})
			if err != nil {
				t.Fatal(err)
			}
			before := sub.Effective()
			if got := sub.WithEventLog(c.run, "file:///w/sparklogs"); got != c.written {
				t.Fatalf("WithEventLog = %v, want %v", got, c.written)
			}
			eff := sub.Effective()
			if !c.written {
				if len(eff) != len(before) {
					t.Errorf("properties changed: %v → %v", before, eff)
				}
				return
			}
			if eff["spark.eventLog.enabled"] != "true" || eff["spark.eventLog.dir"] != "file:///w/sparklogs" ||
				eff["spark.eventLog.rolling.enabled"] != "true" || eff["spark.driver.memory"] != "1g" {
				t.Errorf("effective properties %v", eff)
			}
			for i := 1; i < len(sub.Defaults); i++ {
				if sub.Defaults[i-1].Key >= sub.Defaults[i].Key {
					t.Fatalf("defaults not sorted: %v", sub.Defaults)
				}
			}
		})
	}
}

func TestEventLogURIs(t *testing.T) {
	for _, c := range []struct{ base, want string }{
		{"s3://logs/emr", "s3://logs/emr/vc1/jobs/job1/sparklogs/"},
		{"s3://logs/emr/", "s3://logs/emr/vc1/jobs/job1/sparklogs/"},
		{"s3://logs", "s3://logs/vc1/jobs/job1/sparklogs/"},
	} {
		if got := EventLogURI(c.base, "vc1", "job1"); got != c.want {
			t.Errorf("EventLogURI(%q) = %q, want %q", c.base, got, c.want)
		}
	}
	for in, want := range map[string]string{"s3://b/k/": "s3a://b/k/", "s3n://b/k": "s3a://b/k", "s3a://b/": "s3a://b/", "file:///x": "file:///x"} {
		if got := S3AURI(in); got != want {
			t.Errorf("S3AURI(%q) = %q, want %q", in, got, want)
		}
	}
	run := &emr.JobRun{}
	if LogURI(run) != "" || !PersistentAppUI(run) {
		t.Errorf("a run without monitoringConfiguration: logUri %q, persistentAppUI %v", LogURI(run), PersistentAppUI(run))
	}
	run.ConfigurationOverrides = &emr.ConfigurationOverrides{MonitoringConfiguration: &emr.MonitoringConfiguration{
		S3MonitoringConfiguration: &emr.S3MonitoringConfiguration{LogURI: "s3://l/"}}}
	if LogURI(run) != "s3://l/" {
		t.Errorf("LogURI = %q", LogURI(run))
	}
}
