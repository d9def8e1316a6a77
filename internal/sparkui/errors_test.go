package sparkui

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// TestUIErrorsSayWhy: a run without a Spark UI is answered with an AWS
// error saying why, without starting anything.
func TestUIErrorsSayWhy(t *testing.T) {
	logs := t.TempDir()
	s, err := New(Options{Address: "127.0.0.1:0", Dir: t.TempDir(), EventLogs: logs})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	run := func(id string, state emr.JobRunState, m *emr.MonitoringConfiguration, conf string) *emr.JobRun {
		return &emr.JobRun{ID: id, VirtualClusterID: "vc", State: state, ExecutionRoleARN: "arn:aws:iam::123456789012:role/r",
			JobDriver:              &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "local:///x.py", SparkSubmitParameters: conf}},
			ConfigurationOverrides: &emr.ConfigurationOverrides{MonitoringConfiguration: m}}
	}
	must(t, os.MkdirAll(filepath.Join(logs, "vc", "kept", "eventlog_v2_local-1"), 0o700))
	for _, c := range []struct {
		name string
		run  *emr.JobRun
		code emr.ErrorCode
		says string
	}{
		{"DISABLED", run("r1", emr.JobRunCompleted, &emr.MonitoringConfiguration{PersistentAppUI: "DISABLED"}, ""), emr.CodeValidation, "persistentAppUI DISABLED"},
		{"own event log", run("r2", emr.JobRunCompleted, nil, "--conf spark.eventLog.dir=s3a://mine/"), emr.CodeValidation, "sets spark.eventLog.* itself"},
		{"not started", run("r3", emr.JobRunPending, nil, ""), emr.CodeValidation, "has not started"},
		{"running", run("r4", emr.JobRunRunning, nil, ""), emr.CodeValidation, "once it ends"},
		{"no location", run("r5", emr.JobRunFailed, nil, ""), emr.CodeNotFound, "no s3MonitoringConfiguration.logUri and the server no sparkUI.eventLogUri"},
		{"no Spark for the History Server", run("kept", emr.JobRunCompleted, nil, ""), emr.CodeInternal, "no Apache Spark is installed"},
	} {
		_, err := s.UI(context.Background(), c.run)
		var e *emr.Error
		if !errors.As(err, &e) || e.Code != c.code || !strings.Contains(e.Message, c.says) {
			t.Errorf("%s: %v, want %s saying %q", c.name, err, c.code, c.says)
		}
	}
}
