package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// awsCLI finds the AWS CLI v2: Debian's /usr/bin/aws first, since a
// pip-installed v1 may come first on PATH.
func awsCLI(t *testing.T) string {
	t.Helper()
	for _, p := range []string{"/usr/bin/aws", "aws"} {
		path, err := exec.LookPath(p)
		if err != nil {
			continue
		}
		out, _ := exec.Command(path, "--version").CombinedOutput()
		if strings.HasPrefix(string(out), "aws-cli/2") {
			return path
		}
	}
	t.Fatal("the AWS CLI v2 is not installed; run scripts/setup.sh --test (make test does)")
	return ""
}

// awsRun runs `aws emr-containers <args>` against url and decodes its JSON
// output into out (when not nil). It returns stderr and the exit code.
func awsRun(t *testing.T, aws, url string, out any, args ...string) (string, int) {
	t.Helper()
	return awsRunAs(t, aws, url, "AKIDCLI", "secret", out, args...)
}

// awsRunAs is awsRun signing with the access key akid and its secret.
func awsRunAs(t *testing.T, aws, url, akid, secret string, out any, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, aws, append([]string{"emr-containers", "--endpoint-url", url, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID="+akid, "AWS_SECRET_ACCESS_KEY="+secret,
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("aws %v: %v", args, err)
	}
	if code == 0 && out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			t.Fatalf("aws %v: output is not JSON: %v\n%s", args, err, stdout.String())
		}
	}
	return stderr.String(), code
}

// TestAWSCLI drives the server with the AWS CLI v2 exactly as the EMR on EKS
// tutorials do, including the pi.py job run to COMPLETED.
func TestAWSCLI(t *testing.T) {
	aws := awsCLI(t)
	s := startServer(t, "")

	var created struct{ ID, Name, Arn string }
	if msg, code := awsRun(t, aws, s.URL, &created, "create-virtual-cluster", "--name", "cli",
		"--container-provider", `{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"cli"}}}`,
		"--tags", "team=data"); code != 0 {
		t.Fatalf("create-virtual-cluster: %s", msg)
	}
	vc := created.ID
	if !strings.HasSuffix(created.Arn, ":/virtualclusters/"+vc) {
		t.Errorf("arn %q", created.Arn)
	}

	var started struct{ ID, VirtualClusterID string }
	if msg, code := awsRun(t, aws, s.URL, &started, "start-job-run", "--virtual-cluster-id", vc, "--name", "pi",
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job",
		"--release-label", "emr-7.2.0-latest",
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+piEntryPoint+`","sparkSubmitParameters":"`+piParams+`"}}`,
		"--configuration-overrides", `{"applicationConfiguration":[{"classification":"spark-defaults","properties":{"spark.driver.memory":"1G"}}]}`); code != 0 {
		t.Fatalf("start-job-run: %s", msg)
	}
	if len(started.ID) != 19 || started.VirtualClusterID != vc {
		t.Errorf("start-job-run answered %+v", started)
	}

	var run struct {
		JobRun struct {
			State, StateDetails, CreatedAt, FinishedAt, ReleaseLabel string
			ConfigurationOverrides                                   struct {
				ApplicationConfiguration []struct{ Classification string }
			}
		}
	}
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if msg, code := awsRun(t, aws, s.URL, &run, "describe-job-run", "--virtual-cluster-id", vc, "--id", started.ID); code != 0 {
			t.Fatalf("describe-job-run: %s", msg)
		}
		if st := run.JobRun.State; st == "COMPLETED" || st == "FAILED" || st == "CANCELLED" || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if run.JobRun.State != "COMPLETED" {
		t.Fatalf("job run ended %s: %s", run.JobRun.State, run.JobRun.StateDetails)
	}
	if _, err := time.Parse(time.RFC3339, run.JobRun.FinishedAt); err != nil {
		t.Errorf("finishedAt %q is not ISO-8601: %v", run.JobRun.FinishedAt, err)
	}
	if len(run.JobRun.ConfigurationOverrides.ApplicationConfiguration) != 1 || run.JobRun.ReleaseLabel != "emr-7.2.0-latest" {
		t.Errorf("the run does not echo its request: %+v", run.JobRun)
	}
	if !strings.Contains(getLog(t, s.URL, vc, started.ID, "stdout"), "Pi is roughly") {
		t.Error("no Pi in the driver's stdout")
	}

	var listed struct{ JobRuns []struct{ ID, State string } }
	if msg, code := awsRun(t, aws, s.URL, &listed, "list-job-runs", "--virtual-cluster-id", vc, "--states", "COMPLETED", "FAILED"); code != 0 {
		t.Fatalf("list-job-runs: %s", msg)
	}
	if len(listed.JobRuns) != 1 || listed.JobRuns[0].ID != started.ID {
		t.Errorf("list-job-runs: %+v", listed)
	}

	// Errors reach the CLI as modeled AWS errors.
	msg, code := awsRun(t, aws, s.URL, nil, "cancel-job-run", "--virtual-cluster-id", vc, "--id", started.ID)
	if code == 0 || !strings.Contains(msg, "An error occurred (ValidationException) when calling the CancelJobRun operation") {
		t.Errorf("cancel of a completed run: exit %d, %s", code, msg)
	}
	msg, code = awsRun(t, aws, s.URL, nil, "describe-virtual-cluster", "--id", "doesnotexist")
	if code == 0 || !strings.Contains(msg, "(ResourceNotFoundException)") {
		t.Errorf("describe of an unknown cluster: exit %d, %s", code, msg)
	}
	var deleted struct{ ID string }
	if msg, code := awsRun(t, aws, s.URL, &deleted, "delete-virtual-cluster", "--id", vc); code != 0 || deleted.ID != vc {
		t.Errorf("delete-virtual-cluster: %s", msg)
	}
}
