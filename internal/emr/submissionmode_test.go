package emr

import (
	"strings"
	"testing"
)

func TestSparkplaneClassification(t *testing.T) {
	co := func(props map[string]string) *ConfigurationOverrides {
		return &ConfigurationOverrides{ApplicationConfiguration: []Configuration{{Classification: "sparkplane", Properties: props}}}
	}
	for _, ok := range []map[string]string{nil, {"submissionMode": "native"}, {"submissionMode": "job-runner"}} {
		if err := CheckSparkplaneClassification(co(ok)); err != nil {
			t.Errorf("%v refused: %v", ok, err)
		}
	}
	for props, field := range map[string]map[string]string{
		"configurationOverrides.applicationConfiguration.sparkplane.submissionMode": {"submissionMode": "jvm"},
		"configurationOverrides.applicationConfiguration.sparkplane.other":          {"other": "x"},
	} {
		err := CheckSparkplaneClassification(co(field))
		if e, ok := err.(*Error); !ok || e.Code != CodeValidation || !strings.Contains(e.Message, props) {
			t.Errorf("%v: %v, want a ValidationException naming %s", field, err, props)
		}
	}
	run := &JobRun{ConfigurationOverrides: co(map[string]string{"submissionMode": "native"})}
	if m := RunSubmissionMode(run, SubmitJobRunner); m != SubmitNative {
		t.Errorf("mode %s", m)
	}
	if m := RunSubmissionMode(&JobRun{}, SubmitNative); m != SubmitNative {
		t.Errorf("default mode %s", m)
	}
	if m := RunSubmissionMode(&JobRun{}, SubmitJobRunner); m != SubmitJobRunner {
		t.Errorf("default mode %s", m)
	}
}
