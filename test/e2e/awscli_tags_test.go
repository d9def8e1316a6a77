package e2e

import (
	"strings"
	"testing"
)

// TestAWSCLITags tags a virtual cluster and a job run by ARN with the AWS
// CLI v2, which percent-encodes the ARN into the path as the SDKs do.
func TestAWSCLITags(t *testing.T) {
	aws := awsCLI(t)
	s := startServer(t, "")
	var created struct{ ID, Arn string }
	if msg, code := awsRun(t, aws, s.URL, &created, "create-virtual-cluster", "--name", "cli-tags",
		"--container-provider", `{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"cli-tags"}}}`); code != 0 {
		t.Fatalf("create-virtual-cluster: %s", msg)
	}
	var started struct{ ID, Arn string }
	if msg, code := awsRun(t, aws, s.URL, &started, "start-job-run", "--virtual-cluster-id", created.ID,
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job", "--release-label", "emr-7.2.0-latest",
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+missingEntryPoint+`"}}`, "--tags", "run=1"); code != 0 {
		t.Fatalf("start-job-run: %s", msg)
	}
	for _, arn := range []string{created.Arn, started.Arn} {
		if msg, code := awsRun(t, aws, s.URL, nil, "tag-resource", "--resource-arn", arn, "--tags", "team=data,env=prod"); code != 0 {
			t.Fatalf("tag-resource %s: %s", arn, msg)
		}
		if msg, code := awsRun(t, aws, s.URL, nil, "untag-resource", "--resource-arn", arn, "--tag-keys", "env", "run"); code != 0 {
			t.Fatalf("untag-resource %s: %s", arn, msg)
		}
		var listed struct{ Tags map[string]string }
		if msg, code := awsRun(t, aws, s.URL, &listed, "list-tags-for-resource", "--resource-arn", arn); code != 0 {
			t.Fatalf("list-tags-for-resource %s: %s", arn, msg)
		}
		if len(listed.Tags) != 1 || listed.Tags["team"] != "data" {
			t.Errorf("%s: tags %v, want team=data", arn, listed.Tags)
		}
	}
	var described struct {
		VirtualCluster struct{ Tags map[string]string }
	}
	if msg, code := awsRun(t, aws, s.URL, &described, "describe-virtual-cluster", "--id", created.ID); code != 0 || described.VirtualCluster.Tags["team"] != "data" {
		t.Errorf("describe-virtual-cluster: %s %+v", msg, described)
	}
	msg, code := awsRun(t, aws, s.URL, nil, "list-tags-for-resource", "--resource-arn",
		"arn:aws:emr-containers:us-east-1:123456789012:/jobtemplates/abcdefghijklmnopqrstuvwxy")
	if code == 0 || !strings.Contains(msg, "(ValidationException) when calling the ListTagsForResource operation") {
		t.Errorf("job template ARN: exit %d, %s", code, msg)
	}
	msg, code = awsRun(t, aws, s.URL, nil, "tag-resource", "--resource-arn", strings.Replace(created.Arn, created.ID, "zzzzzzzzzzzzzzzzzzzzzzzzz", 1), "--tags", "a=b")
	if code == 0 || !strings.Contains(msg, "(ResourceNotFoundException)") {
		t.Errorf("unknown virtual cluster: exit %d, %s", code, msg)
	}
}
