package emr_test

import (
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func boundedRun() *emr.StartJobRunRequest {
	return &emr.StartJobRunRequest{ClientToken: "t", ExecutionRoleARN: "arn:aws:iam::123456789012:role/r", ReleaseLabel: "emr-7.2.0-latest",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "local:///a.py"}}}
}

func repeat(s string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = s
	}
	return out
}

// configurationsOf returns n spark-defaults configurations, each with
// nested ones.
func configurationsOf(n, nested int) []emr.Configuration {
	out := make([]emr.Configuration, n)
	for i := range out {
		out[i] = emr.Configuration{Classification: "spark-defaults", Configurations: make([]emr.Configuration, nested)}
		for j := range out[i].Configurations {
			out[i].Configurations[j] = emr.Configuration{Classification: "c"}
		}
	}
	return out
}

func TestStartJobRunBounds(t *testing.T) {
	t.Parallel()
	const (
		args = "jobDriver.sparkSubmitJobDriver.entryPointArguments"
		cfg  = "configurationOverrides.applicationConfiguration"
	)
	bigProps := map[string]string{}
	for i := range 100 {
		bigProps[strings.Repeat("k", 10)+string(rune('A'+i%26))+string(rune('a'+i/26))] = strings.Repeat("v", 1024)
	}
	for _, tc := range []struct {
		name   string
		mutate func(*emr.StartJobRunRequest)
		fields []string
	}{
		{"10,000 arguments", func(r *emr.StartJobRunRequest) {
			r.JobDriver.SparkSubmitJobDriver.EntryPointArguments = repeat("a", 10000)
		}, nil},
		{"10,001 arguments", func(r *emr.StartJobRunRequest) {
			r.JobDriver.SparkSubmitJobDriver.EntryPointArguments = repeat("a", 10001)
		}, []string{args}},
		{"1 MiB of arguments", func(r *emr.StartJobRunRequest) {
			r.JobDriver.SparkSubmitJobDriver.EntryPointArguments = repeat(strings.Repeat("x", 1024), 1024)
		}, nil},
		{"1 MiB and a byte of arguments", func(r *emr.StartJobRunRequest) {
			r.JobDriver.SparkSubmitJobDriver.EntryPointArguments = append(repeat(strings.Repeat("x", 1024), 1024), "y")
		}, []string{args}},
		{"1,000 configurations", func(r *emr.StartJobRunRequest) {
			r.ConfigurationOverrides = &emr.ConfigurationOverrides{ApplicationConfiguration: configurationsOf(100, 9)}
		}, nil},
		{"1,001 configurations", func(r *emr.StartJobRunRequest) {
			r.ConfigurationOverrides = &emr.ConfigurationOverrides{ApplicationConfiguration: append(configurationsOf(100, 9), configurationsOf(1, 0)...)}
		}, []string{cfg}},
		{"configurations over 1 MiB", func(r *emr.StartJobRunRequest) {
			cs := configurationsOf(100, 0)
			for i := range cs {
				cs[i].Properties = bigProps
			}
			r.ConfigurationOverrides = &emr.ConfigurationOverrides{ApplicationConfiguration: cs}
		}, []string{cfg}},
		{"maxAttempts 1", func(r *emr.StartJobRunRequest) {
			r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: 1}
		}, nil},
		{"maxAttempts 10", func(r *emr.StartJobRunRequest) {
			r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: 10}
		}, nil},
		{"maxAttempts 0", func(r *emr.StartJobRunRequest) {
			r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: 0}
		},
			[]string{"retryPolicyConfiguration.maxAttempts"}},
		{"maxAttempts 11", func(r *emr.StartJobRunRequest) {
			r.RetryPolicyConfiguration = &emr.RetryPolicyConfiguration{MaxAttempts: 11}
		},
			[]string{"retryPolicyConfiguration.maxAttempts"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := boundedRun()
			tc.mutate(r)
			MustBeValidation(t, r.Validate(), tc.fields...)
		})
	}
}

// A template whose placeholders would expand past MaxResolvedTemplateBytes
// is refused before it is expanded.
func TestResolveBoundsTheExpansion(t *testing.T) {
	t.Parallel()
	tmpl := template()
	d := tmpl.JobTemplateData.JobDriver.SparkSubmitJobDriver
	d.EntryPointArguments = repeat(strings.Repeat("${EntryPointLocation}", 500), 500) // 250,000 placeholders
	_, err := tmpl.Resolve(runOf(map[string]string{"EntryPointLocation": strings.Repeat("a", 1024)}))
	MustBeValidation(t, err, "jobTemplateParameters")
	if !strings.Contains(err.Error(), "4194304") {
		t.Errorf("message %q does not name the bound", err)
	}
}
