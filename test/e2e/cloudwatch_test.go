package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/cwenv"
)

// TestLogsShippedToCloudWatchLocal: a pi.py run of the local runtime with
// cloudWatchMonitoringConfiguration sends its driver's stdout and stderr to
// a real CloudWatch Logs server (moto's), with the execution role's
// credentials: the log group is created, the streams are named as EMR on
// EKS names them under the prefix, and the driver's "Pi is roughly" line
// is an event of its stdout stream.
func TestLogsShippedToCloudWatchLocal(t *testing.T) {
	if testing.Short() {
		t.Skip("runs Spark and moto's server")
	}
	cw := cwenv.Start(t)
	const role = "arn:aws:iam::123456789012:role/emr-job"
	s := startServerWith(t, "", func(cfg *config.Config) {
		cfg.CloudWatch = config.CloudWatch{Endpoint: cw.Endpoint, Region: cwenv.Region}
		cfg.Security.ExecutionRoles = []config.ExecutionRole{{ARN: role, CredentialsFile: cw.CredentialsFile}}
	})
	vc := createVC(t, s.Client, "cw-logs", "default")
	const group, prefix = "/emr-on-eks/sparkplane-test", "pi-runs"
	out, err := s.Client.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vc),
		Name:             aws.String("pi-to-cloudwatch"),
		ExecutionRoleArn: aws.String(role),
		ReleaseLabel:     aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(piEntryPoint),
			EntryPointArguments:   []string{"2"},
			SparkSubmitParameters: aws.String("--conf spark.driver.memory=512m"),
		}},
		ConfigurationOverrides: &types.ConfigurationOverrides{MonitoringConfiguration: &types.MonitoringConfiguration{
			CloudWatchMonitoringConfiguration: &types.CloudWatchMonitoringConfiguration{
				LogGroupName: aws.String(group), LogStreamNamePrefix: aws.String(prefix)},
		}},
	})
	if err != nil {
		t.Fatalf("StartJobRun: %v", err)
	}
	id := aws.ToString(out.Id)
	waitCompleted(t, s, vc, id)

	streams := cw.Streams(group, prefix+"/"+vc+"/jobs/"+id+"/containers/")
	var stdout, stderr string
	for _, name := range streams {
		switch {
		case strings.HasSuffix(name, "-driver/stdout"):
			stdout = name
		case strings.HasSuffix(name, "-driver/stderr"):
			stderr = name
		default:
			t.Errorf("unexpected log stream %s", name)
		}
	}
	if stdout == "" || stderr == "" {
		t.Fatalf("log streams %q: want the driver's stdout and stderr under %s/%s/jobs/%s/containers/<appId>/<pod>/", streams, prefix, vc, id)
	}
	msgs := cw.Messages(group, stdout)
	if !slices.ContainsFunc(msgs, func(m string) bool { return strings.HasPrefix(m, "Pi is roughly 3.1") }) {
		t.Errorf("stream %s has no \"Pi is roughly\" event; its events:\n%s", stdout, strings.Join(msgs, "\n"))
	}
	if len(cw.Messages(group, stderr)) == 0 {
		t.Errorf("stream %s is empty: Spark's driver log goes to stderr", stderr)
	}
}
