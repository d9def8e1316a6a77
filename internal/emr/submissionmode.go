package emr

import (
	"fmt"
	"strings"
)

// SubmissionMode is how a Kubernetes runtime hands a run to its cluster.
type SubmissionMode string

// Submission modes.
const (
	// SubmitJobRunner runs spark-submit in a job-runner pod (a batch/v1
	// Job), as EMR on EKS does; the default.
	SubmitJobRunner SubmissionMode = "job-runner"
	// SubmitNative has sparkplane create the driver pod, its Spark
	// configuration ConfigMap and headless Service itself, as Spark's
	// Kubernetes submission client would: no job-runner pod.
	SubmitNative SubmissionMode = "native"
)

// SparkplaneClassification is the classification of applicationConfiguration
// that holds sparkplane's own per-run settings; it never reaches Spark.
const SparkplaneClassification = "sparkplane"

// SubmissionModeProperty is the property of SparkplaneClassification that
// selects a run's SubmissionMode.
const SubmissionModeProperty = "submissionMode"

// submissionModeField names the property in errors.
const submissionModeField = "configurationOverrides.applicationConfiguration.sparkplane.submissionMode"

// ParseSubmissionMode reads a submission mode; "" is def.
func ParseSubmissionMode(v string, def SubmissionMode) (SubmissionMode, error) {
	switch m := SubmissionMode(strings.TrimSpace(v)); m {
	case "":
		return def, nil
	case SubmitJobRunner, SubmitNative:
		return m, nil
	}
	return "", fmt.Errorf("%q is not a submission mode: want %s or %s", v, SubmitJobRunner, SubmitNative)
}

// RunSubmissionMode is the submission mode run asks for, def when it asks
// for none.
func RunSubmissionMode(run *JobRun, def SubmissionMode) SubmissionMode {
	m, err := ParseSubmissionMode(run.ConfigurationOverrides.Classification(SparkplaneClassification)[SubmissionModeProperty], def)
	if err != nil {
		return def // refused at StartJobRun (CheckSparkplaneClassification)
	}
	return m
}

// CheckSparkplaneClassification refuses, as a ValidationException naming
// the field, a sparkplane classification with a property sparkplane does
// not know or a submissionMode that is not one.
func CheckSparkplaneClassification(co *ConfigurationOverrides) error {
	props := co.Classification(SparkplaneClassification)
	for _, k := range sortedKeys(props) {
		if k != SubmissionModeProperty {
			return Validationf("1 validation error detected: Value at 'configurationOverrides.applicationConfiguration.sparkplane.%s' failed to satisfy constraint: unknown sparkplane property (known: %s)", k, SubmissionModeProperty)
		}
		if _, err := ParseSubmissionMode(props[k], SubmitJobRunner); err != nil {
			return Validationf("1 validation error detected: Value at '%s' failed to satisfy constraint: %v", submissionModeField, err)
		}
	}
	return nil
}
