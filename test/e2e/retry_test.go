package e2e

import (
	"context"
	"github.com/sparkplane/sparkplane/internal/testenv"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// flaky fails its first attempt and succeeds on the next: the marker file
// it leaves tells the attempts apart.
const flaky = `
import os, sys
from pyspark.sql import SparkSession
spark = SparkSession.builder.appName("flaky").getOrCreate()
marker = sys.argv[1]
if not os.path.exists(marker):
    open(marker, "w").close()
    raise RuntimeError("first attempt fails on purpose")
print("second attempt ran", spark.range(5).count(), flush=True)
spark.stop()
`

func TestRetryPolicyRunsASecondAttempt(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "retry", "retry")
	marker := filepath.Join(testenv.SharedDir(t), "attempted") // the job writes it
	out, err := s.Client.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vc), Name: aws.String("flaky"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String("file://" + writeApp(t, "flaky.py", flaky)), EntryPointArguments: []string{marker}}},
		RetryPolicyConfiguration: &types.RetryPolicyConfiguration{MaxAttempts: aws.Int32(2)},
	})
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Id)
	run, _ := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	if run.State != types.JobRunStateCompleted || run.RetryPolicyExecution == nil || aws.ToInt32(run.RetryPolicyExecution.CurrentAttemptCount) != 2 {
		t.Fatalf("state %s attempt %+v (%s), want COMPLETED on attempt 2", run.State, run.RetryPolicyExecution, aws.ToString(run.StateDetails))
	}
	// The logs are the current attempt's; the first attempt's stay in its folder.
	if out := getLog(t, s.URL, vc, id, "stdout"); !strings.Contains(out, "second attempt ran 5") {
		t.Errorf("stdout of the run:\n%s", out)
	}
	if first := readFile(t, filepath.Join(s.DataDir, "runs", vc, id, "stdout")); !strings.Contains(first, "first attempt fails on purpose") {
		t.Errorf("first attempt's stdout:\n%s", first)
	}
}
