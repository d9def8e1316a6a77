package e2e

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/config"
)

const (
	roleA = "arn:aws:iam::123456789012:role/team-a-jobs"
	roleB = "arn:aws:iam::123456789012:role/team-b-jobs"
)

// accessFile is the access file of the tenant tests: an admin allowed
// everything; alice, allowed emr-containers on virtual cluster vcA only
// and to pass roleA; bob, allowed what is tagged team=b and to start runs
// only when he tags them team=b; carol, allowed everything but deleting
// virtual clusters (an explicit Deny).
func accessFile(vcA string) string {
	vcARN := "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/"
	return fmt.Sprintf(`
users:
  - name: admin
    accessKeys: [{id: AKIAADMIN0000000001, secret: admin-secret-0000000000000000000000000}]
    policies: [everything]
  - name: alice
    accessKeys: [{id: AKIAALICE0000000001, secret: alice-secret-0000000000000000000000000}]
    groups: [team-a]
  - name: bob
    accessKeys: [{id: AKIABOB00000000001, secret: bob-secret-00000000000000000000000000}]
    policies: [tagged-team-b]
  - name: carol
    accessKeys: [{id: AKIACAROL0000000001, secret: carol-secret-0000000000000000000000000}]
    policies: [everything, no-deletes]
groups:
  - name: team-a
    policies: [team-a]
policies:
  everything: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["emr-containers:*", "iam:PassRole"], "Resource": "*"}]}
  no-deletes: {"Version": "2012-10-17", "Statement": {"Effect": "Deny", "Action": "emr-containers:DeleteVirtualCluster", "Resource": "*"}}
  team-a:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Action: "emr-containers:*", Resource: ["%[1]s%[2]s", "%[1]s%[2]s/*"]}
      - {Effect: Allow, Action: "iam:PassRole", Resource: "%[3]s", Condition: {StringEquals: {"iam:PassedToService": emr-containers.amazonaws.com}}}
  tagged-team-b:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Action: ["emr-containers:Describe*", "emr-containers:List*"], Resource: "*", Condition: {StringEquals: {"aws:ResourceTag/team": b}}}
      - {Effect: Allow, Action: "emr-containers:StartJobRun", Resource: "*", Condition: {StringEquals: {"aws:ResourceTag/team": b, "aws:RequestTag/team": b}}}
      - {Effect: Allow, Action: "iam:PassRole", Resource: "%[4]s"}
`, vcARN, vcA, roleA, roleB)
}

// writeAccess writes the access file (0600, as the server requires).
func writeAccess(t *testing.T, path, text string) {
	t.Helper()
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func clientAs(url, akid, secret, region string) *emrcontainers.Client {
	return emrcontainers.New(emrcontainers.Options{Region: region, BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")})
}

// TestTenantMatrix: through the AWS SDK for Go v2 and the AWS CLI, signing
// as they normally do, each principal can do what its policies allow and
// gets AccessDeniedException for the rest, on every operation; the access
// file is reloaded when it changes; refused calls create nothing.
func TestTenantMatrix(t *testing.T) {
	access := filepath.Join(t.TempDir(), "access.yaml")
	writeAccess(t, access, accessFile("none"))
	s := startServerWith(t, "", func(c *config.Config) {
		c.Security.Access = access
		c.Security.ExecutionRoles = []config.ExecutionRole{{ARN: roleA}, {ARN: roleB}}
	})
	ctx := context.Background()
	admin := clientAs(s.URL, "AKIAADMIN0000000001", "admin-secret-0000000000000000000000000", "us-east-1")
	alice := clientAs(s.URL, "AKIAALICE0000000001", "alice-secret-0000000000000000000000000", "us-east-1")
	bob := clientAs(s.URL, "AKIABOB00000000001", "bob-secret-00000000000000000000000000", "us-east-1")
	carol := clientAs(s.URL, "AKIACAROL0000000001", "carol-secret-0000000000000000000000000", "us-east-1")

	vcA := createVC(t, admin, "team-a", "team-a")
	vcBOut, err := admin.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("team-b"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("team-b")}}},
		Tags: map[string]string{"team": "b"}})
	if err != nil {
		t.Fatal(err)
	}
	vcB := aws.ToString(vcBOut.Id)
	runB := startAs(t, admin, vcB, roleB, nil)

	// The policies naming vcA take effect when the file changes.
	writeAccess(t, access, accessFile(vcA))
	deadline := time.Now().Add(20 * time.Second)
	for {
		_, err := alice.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(vcA)})
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the access file was not reloaded: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}

	// alice on her virtual cluster: start, describe, list, cancel.
	runA := startAs(t, alice, vcA, roleA, nil)
	d, err := alice.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcA), Id: aws.String(runA)})
	if err != nil {
		t.Fatalf("alice DescribeJobRun on vcA: %v", err)
	}
	if got := aws.ToString(d.JobRun.CreatedBy); got != "arn:aws:iam::123456789012:user/alice" {
		t.Errorf("createdBy = %s; want alice's ARN", got)
	}
	if _, err := alice.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vcA)}); err != nil {
		t.Errorf("alice ListJobRuns on vcA: %v", err)
	}
	// The run may have failed already (its entry point does not exist):
	// being told it cannot be cancelled still means she was allowed to ask.
	if _, err := alice.CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vcA), Id: aws.String(runA)}); err != nil &&
		!(apiCode(err) == "ValidationException" && strings.Contains(err.Error(), "cannot be cancelled")) {
		t.Errorf("alice CancelJobRun on vcA: %v", err)
	}

	// alice on vcB: every operation is AccessDenied.
	denied := map[string]error{}
	_, denied["DescribeVirtualCluster"] = alice.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(vcB)})
	_, denied["StartJobRun"] = alice.StartJobRun(ctx, startInput(vcB, roleA, nil))
	_, denied["ListJobRuns"] = alice.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vcB)})
	_, denied["DescribeJobRun"] = alice.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcB), Id: aws.String(runB)})
	_, denied["CancelJobRun"] = alice.CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vcB), Id: aws.String(runB)})
	_, denied["DeleteVirtualCluster"] = alice.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(vcB)})
	_, denied["TagResource"] = alice.TagResource(ctx, &emrcontainers.TagResourceInput{ResourceArn: aws.String("arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/" + vcB), Tags: map[string]string{"x": "y"}})
	_, denied["ListVirtualClusters"] = alice.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{})
	_, denied["CreateVirtualCluster"] = alice.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("x"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("x")}}}})
	// ... and she cannot pass a role iam:PassRole does not grant her.
	_, denied["PassRole"] = alice.StartJobRun(ctx, startInput(vcA, roleB, nil))
	for op, err := range denied {
		if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "User: arn:aws:iam::123456789012:user/alice is not authorized to perform") {
			t.Errorf("alice %s on vcB: %v; want AccessDeniedException", op, err)
		}
	}
	if err := denied["PassRole"]; err != nil && !strings.Contains(err.Error(), "iam:PassRole on resource: "+roleB) {
		t.Errorf("PassRole refusal does not name the action and role: %v", err)
	}

	// bob: tag conditions, as IAM evaluates them.
	if _, err := bob.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(vcB)}); err != nil {
		t.Errorf("bob DescribeVirtualCluster of the team=b cluster: %v", err)
	}
	if _, err := bob.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(vcA)}); apiCode(err) != "AccessDeniedException" {
		t.Errorf("bob DescribeVirtualCluster of an untagged cluster: %v; want AccessDeniedException", err)
	}
	if _, err := bob.StartJobRun(ctx, startInput(vcB, roleB, nil)); apiCode(err) != "AccessDeniedException" {
		t.Errorf("bob StartJobRun without the team=b request tag: %v; want AccessDeniedException", err)
	}
	runBob := startAs(t, bob, vcB, roleB, map[string]string{"team": "b"})

	// carol: an explicit Deny beats her Allow of everything.
	if _, err := carol.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{}); err != nil {
		t.Errorf("carol ListVirtualClusters: %v", err)
	}
	_, err = carol.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(vcA)})
	if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), "explicit deny") {
		t.Errorf("carol DeleteVirtualCluster: %v; want AccessDeniedException with an explicit deny", err)
	}

	// The AWS CLI, signing as botocore does.
	cli := awsCLI(t)
	var out struct{ JobRuns []struct{ ID string } }
	if stderr, code := awsRunAs(t, cli, s.URL, "AKIAALICE0000000001", "alice-secret-0000000000000000000000000", &out, "list-job-runs", "--virtual-cluster-id", vcA); code != 0 {
		t.Errorf("aws list-job-runs as alice on vcA: exit %d: %s", code, stderr)
	}
	if stderr, code := awsRunAs(t, cli, s.URL, "AKIAALICE0000000001", "alice-secret-0000000000000000000000000", nil, "list-job-runs", "--virtual-cluster-id", vcB); code == 0 || !strings.Contains(stderr, "AccessDeniedException") {
		t.Errorf("aws list-job-runs as alice on vcB: exit %d: %s; want AccessDeniedException", code, stderr)
	}
	if stderr, code := awsRunAs(t, cli, s.URL, "AKIAALICE0000000001", "wrong-secret", nil, "list-job-runs", "--virtual-cluster-id", vcA); code == 0 || !strings.Contains(stderr, "InvalidSignatureException") {
		t.Errorf("aws with a wrong secret: exit %d: %s; want InvalidSignatureException", code, stderr)
	}

	// Nothing the refused calls asked for exists; the runs that were
	// allowed do.
	runs, err := admin.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vcB)})
	if err != nil {
		t.Fatal(err)
	}
	if len(runs.JobRuns) != 2 {
		t.Errorf("vcB has %d runs; want 2 (the admin's and bob's tagged one)", len(runs.JobRuns))
	}
	vcs, err := admin.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{})
	if err != nil {
		t.Fatal(err)
	}
	for _, vc := range vcs.VirtualClusters {
		if vc.State != types.VirtualClusterStateRunning || aws.ToString(vc.Name) == "x" {
			t.Errorf("virtual cluster %s (%s) is %s after the refused calls", aws.ToString(vc.Id), aws.ToString(vc.Name), vc.State)
		}
	}
	for _, id := range []string{runB, runBob} {
		_, _ = admin.CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vcB), Id: aws.String(id)})
	}

	// The audit trail has alice's refusals and her changes, without secrets.
	trail := readFile(t, filepath.Join(s.DataDir, "audit.log"))
	for _, want := range []string{`"eventName":"StartJobRun"`, `"errorCode":"AccessDeniedException"`, `"arn":"arn:aws:iam::123456789012:user/alice"`} {
		if !strings.Contains(trail, want) {
			t.Errorf("audit trail lacks %s", want)
		}
	}
	if strings.Contains(trail, "alice-secret") || strings.Contains(trail, "admin-secret") {
		t.Error("the audit trail holds a secret key")
	}
}

func startInput(vcID, role string, tags map[string]string) *emrcontainers.StartJobRunInput {
	return &emrcontainers.StartJobRunInput{VirtualClusterId: aws.String(vcID), Name: aws.String("tenant"),
		ClientToken: aws.String(fmt.Sprint(time.Now().UnixNano())), ExecutionRoleArn: aws.String(role),
		ReleaseLabel: aws.String("emr-7.2.0-latest"), Tags: tags,
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{EntryPoint: aws.String("local:///nonexistent/tenant.py")}}}
}

// startAs starts a run that is cancelled (or fails) at once.
func startAs(t *testing.T, c *emrcontainers.Client, vcID, role string, tags map[string]string) string {
	t.Helper()
	out, err := c.StartJobRun(context.Background(), startInput(vcID, role, tags))
	if err != nil {
		t.Fatalf("StartJobRun on %s as role %s: %v", vcID, role, err)
	}
	return aws.ToString(out.Id)
}
