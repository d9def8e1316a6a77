package devcluster

import (
	"context"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// Submission modes (the sparkplane classification's submissionMode).
const (
	modeJobRunner = "job-runner"
	modeNative    = "native"
)

// submissionModes are the modes every behaviour test runs in.
var submissionModes = []string{modeJobRunner, modeNative}

// modeOverrides select mode for one run.
func modeOverrides(mode string) *types.ConfigurationOverrides {
	return &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{{
		Classification: aws.String("sparkplane"), Properties: map[string]string{"submissionMode": mode}}}}
}

// startRunMode starts a job run of driver on emr-7.2.0-latest in the given
// submission mode with the Go SDK and returns its id.
func startRunMode(t *testing.T, vc, name, mode string, driver *types.JobDriver) string {
	t.Helper()
	out, err := sdk().StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: &vc, Name: &name, ClientToken: aws.String(name + "-" + mode + "-" + time.Now().Format(time.RFC3339Nano)),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: driver, ConfigurationOverrides: modeOverrides(mode)})
	if err != nil {
		t.Fatalf("start %s in %s mode: %v", name, mode, err)
	}
	return aws.ToString(out.Id)
}

// submitDriver is a sparkSubmitJobDriver.
func submitDriver(entryPoint, params string, args ...string) *types.JobDriver {
	return &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{EntryPoint: &entryPoint,
		SparkSubmitParameters: &params, EntryPointArguments: args}}
}

// modeNamespace is the namespace of a test's run in mode: base for the
// job-runner mode, base-native for the native mode.
func modeNamespace(base, mode string) string {
	if mode == modeJobRunner {
		return base
	}
	return base + "-" + mode
}

// jobRunners is how many job-runner pods a run of mode has.
func jobRunners(mode string) int {
	if mode == modeJobRunner {
		return 1
	}
	return 0
}

// startRunIn starts a job run on emr-7.2.0-latest in mode with the AWS
// CLI and returns its id.
func startRunIn(t *testing.T, mode, vc, name, entryPoint, params string) string {
	t.Helper()
	var run struct{ ID string }
	awsCLI(t, &run, "start-job-run", "--virtual-cluster-id", vc, "--name", name,
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job", "--release-label", "emr-7.2.0-latest",
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+entryPoint+`","sparkSubmitParameters":"`+params+`"}}`,
		"--configuration-overrides", `{"applicationConfiguration":[{"classification":"sparkplane","properties":{"submissionMode":"`+mode+`"}}]}`)
	return run.ID
}
