package e2e

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/smithy-go"
)

// apiCode returns the AWS error code of err ("" for nil).
func apiCode(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	if err != nil {
		return "not an API error: " + err.Error()
	}
	return ""
}

func TestVirtualClusterLifecycle(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	before := time.Now().Add(-time.Second)
	id := createVC(t, c, "team-a", "team-a")

	d, err := c.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	vc := d.VirtualCluster
	if len(id) != 25 || aws.ToString(vc.Name) != "team-a" || vc.State != types.VirtualClusterStateRunning ||
		aws.ToString(vc.Arn) != "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/"+id ||
		aws.ToString(vc.ContainerProvider.Id) != "local" || vc.ContainerProvider.Type != types.ContainerProviderTypeEks {
		t.Errorf("described %+v", vc)
	}
	if info, ok := vc.ContainerProvider.Info.(*types.ContainerInfoMemberEksInfo); !ok || aws.ToString(info.Value.Namespace) != "team-a" {
		t.Errorf("containerProvider.info = %#v", vc.ContainerProvider.Info)
	}
	if vc.CreatedAt == nil || vc.CreatedAt.Before(before) {
		t.Errorf("createdAt %v", vc.CreatedAt)
	}

	// One active virtual cluster per namespace.
	_, err = c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("again"),
		ContainerProvider: localProvider("team-a")})
	if code := apiCode(err); code != "ValidationException" {
		t.Errorf("second virtual cluster in namespace team-a: %s", code)
	}

	pause() // listing order is createdAt (ms), then the random id
	id2 := createVC(t, c, "team-b", "team-b")
	list := listVCs(t, c, &emrcontainers.ListVirtualClustersInput{})
	if len(list) != 2 || aws.ToString(list[0].Id) != id2 { // newest first
		t.Errorf("listed %d, first %s; want 2 with %s first", len(list), aws.ToString(list[0].Id), id2)
	}
	// Paginator with one per page.
	var paged []string
	p := emrcontainers.NewListVirtualClustersPaginator(c, &emrcontainers.ListVirtualClustersInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.VirtualClusters {
			paged = append(paged, aws.ToString(v.Id))
		}
	}
	if strings.Join(paged, ",") != id2+","+id {
		t.Errorf("paged %v", paged)
	}

	del, err := c.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(id)})
	if err != nil || aws.ToString(del.Id) != id {
		t.Fatalf("DeleteVirtualCluster: %v", err)
	}
	d, _ = c.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(id)})
	if d.VirtualCluster.State != types.VirtualClusterStateTerminated {
		t.Errorf("after delete: %s", d.VirtualCluster.State)
	}
	running := listVCs(t, c, &emrcontainers.ListVirtualClustersInput{States: []types.VirtualClusterState{types.VirtualClusterStateRunning}})
	if len(running) != 1 || aws.ToString(running[0].Id) != id2 {
		t.Errorf("RUNNING filter gave %d", len(running))
	}
	// The namespace is free again.
	createVC(t, c, "team-a-again", "team-a")
	// A job run cannot start on a terminated virtual cluster, and nothing is written.
	_, err = c.StartJobRun(ctx, piInput(id))
	if code := apiCode(err); code != "ValidationException" {
		t.Errorf("StartJobRun on a TERMINATED virtual cluster: %s", code)
	}
}

func TestDeleteVirtualClusterWithActiveRunIsRefused(t *testing.T) {
	s := startServer(t, "")
	ctx := context.Background()
	vc := createVC(t, s.Client, "busy", "busy")
	id := startJob(t, s.Client, vc, "sleeper", "file://"+writeApp(t, "sleep.py", sleeper), "", "600")
	_, err := s.Client.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(vc)})
	if code := apiCode(err); code != "ValidationException" || !strings.Contains(err.Error(), id) {
		t.Fatalf("delete with a running job: %v", err)
	}
	if _, err := s.Client.CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, s.Client, vc, id, time.Minute, terminal)
	if _, err := s.Client.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(vc)}); err != nil {
		t.Fatalf("delete after the run ended: %v", err)
	}
}

func TestErrorsDecodeInTheSDK(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "errs", "errs")
	unknown := "zzzzzzzzzzzzzzzzzzzzzzzzz"

	withDriver := func(mod func(*emrcontainers.StartJobRunInput)) *emrcontainers.StartJobRunInput {
		in := piInput(vc)
		mod(in)
		return in
	}
	cases := []struct {
		name      string
		call      func() error
		code      string
		mentions  string
		typedFunc func(error) bool
	}{
		{"describe unknown virtual cluster", func() error {
			_, err := c.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(unknown)})
			return err
		}, "ResourceNotFoundException", unknown, isType[*types.ResourceNotFoundException]},
		{"bad virtual cluster id", func() error {
			_, err := c.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String("UPPER")})
			return err
		}, "ValidationException", "virtualClusterId", isType[*types.ValidationException]},
		{"delete unknown virtual cluster", func() error {
			_, err := c.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(unknown)})
			return err
		}, "ValidationException", unknown, isType[*types.ValidationException]},
		{"name with a space", func() error {
			_, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("bad name"), ContainerProvider: localProvider("x")})
			return err
		}, "ValidationException", "'name'", isType[*types.ValidationException]},
		{"namespace not DNS", func() error {
			_, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("n"), ContainerProvider: localProvider("Bad_NS")})
			return err
		}, "ValidationException", "containerProvider.info.eksInfo.namespace", isType[*types.ValidationException]},
		{"unregistered cluster", func() error {
			p := localProvider("x")
			p.Id = aws.String("prod-eks")
			_, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("n"), ContainerProvider: p})
			return err
		}, "ResourceNotFoundException", "prod-eks", isType[*types.ResourceNotFoundException]},
		{"start on unknown virtual cluster", func() error {
			_, err := c.StartJobRun(ctx, piInput(unknown))
			return err
		}, "ResourceNotFoundException", unknown, isType[*types.ResourceNotFoundException]},
		{"no release label", func() error {
			_, err := c.StartJobRun(ctx, withDriver(func(in *emrcontainers.StartJobRunInput) { in.ReleaseLabel = nil }))
			return err
		}, "ValidationException", "releaseLabel", isType[*types.ValidationException]},
		{"unknown release label", func() error {
			_, err := c.StartJobRun(ctx, withDriver(func(in *emrcontainers.StartJobRunInput) { in.ReleaseLabel = aws.String("emr-4.0.0-latest") }))
			return err
		}, "ResourceNotFoundException", "emr-4.0.0-latest", isType[*types.ResourceNotFoundException]},
		{"role that is not an IAM role ARN", func() error {
			_, err := c.StartJobRun(ctx, withDriver(func(in *emrcontainers.StartJobRunInput) {
				in.ExecutionRoleArn = aws.String("arn:aws:iam::123:user/bob-the-builder")
			}))
			return err
		}, "ValidationException", "executionRoleArn", isType[*types.ValidationException]},
		{"both job drivers", func() error {
			_, err := c.StartJobRun(ctx, withDriver(func(in *emrcontainers.StartJobRunInput) {
				in.JobDriver.SparkSqlJobDriver = &types.SparkSqlJobDriver{EntryPoint: aws.String("local:///q.sql")}
			}))
			return err
		}, "ValidationException", "jobDriver", isType[*types.ValidationException]},
		{"unterminated quote in parameters", func() error {
			_, err := c.StartJobRun(ctx, withDriver(func(in *emrcontainers.StartJobRunInput) {
				in.JobDriver.SparkSubmitJobDriver.SparkSubmitParameters = aws.String(`--conf "spark.x=1`)
			}))
			return err
		}, "ValidationException", "sparkSubmitParameters", isType[*types.ValidationException]},
		{"too many tags", func() error {
			tags := map[string]string{}
			for i := range 51 {
				tags[strings.Repeat("k", i+1)] = "v"
			}
			_, err := c.StartJobRun(ctx, withDriver(func(in *emrcontainers.StartJobRunInput) { in.Tags = tags }))
			return err
		}, "ValidationException", "tags", isType[*types.ValidationException]},
		{"describe unknown job run", func() error {
			_, err := c.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String("0000000000000000000")})
			return err
		}, "ResourceNotFoundException", "0000000000000000000", isType[*types.ResourceNotFoundException]},
		{"cancel unknown job run", func() error {
			_, err := c.CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String("0000000000000000000")})
			return err
		}, "ValidationException", "0000000000000000000", isType[*types.ValidationException]},
		{"bad states filter", func() error {
			_, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc), States: []types.JobRunState{"DONE"}})
			return err
		}, "ValidationException", "states", isType[*types.ValidationException]},
		{"tampered nextToken", func() error {
			_, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc), NextToken: aws.String("!!not-a-token")})
			return err
		}, "ValidationException", "nextToken", isType[*types.ValidationException]},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if code := apiCode(err); code != tc.code {
				t.Fatalf("got %s (%v), want %s", code, err, tc.code)
			}
			if !tc.typedFunc(err) {
				t.Errorf("the SDK did not decode %T into the modeled error type", err)
			}
			if !strings.Contains(err.Error(), tc.mentions) {
				t.Errorf("message %q does not mention %q", err.Error(), tc.mentions)
			}
		})
	}
	// None of the refused requests left a job run behind.
	runs, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc)})
	if err != nil || len(runs.JobRuns) != 0 {
		t.Errorf("after refused requests: %d runs, err %v", len(runs.JobRuns), err)
	}
}

func isType[T error](err error) bool {
	var target T
	return errors.As(err, &target)
}

// TestRawHTTPErrors sends what no SDK would: malformed JSON, wrong types,
// unknown paths. Each gets a 4xx AWS error, never a 500.
func TestRawHTTPErrors(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "raw", "raw")
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "/virtualclusters", `{"name":`, 400, "ValidationException"},
		{"POST", "/virtualclusters", `[]`, 400, "ValidationException"},
		{"POST", "/virtualclusters", `{"name":5}`, 400, "ValidationException"},
		{"POST", "/virtualclusters/" + vc + "/jobruns", `{"clientToken":"t","jobDriver":"x"}`, 400, "ValidationException"},
		{"POST", "/virtualclusters/" + vc + "/jobruns", `{"clientToken":"t","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r","jobDriver":{}}`, 400, "ValidationException"},
		{"POST", "/virtualclusters/" + vc + "/jobruns", `{"clientToken":"t","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///a.py","entryPointArguments":[""]}}}`, 400, "ValidationException"},
		{"GET", "/virtualclusters?maxResults=0", "", 400, "ValidationException"},
		{"GET", "/virtualclusters?createdAfter=yesterday", "", 400, "ValidationException"},
		{"GET", "/nothing-here", "", 404, "UnknownOperationException"},
		{"PUT", "/virtualclusters", "", 404, "UnknownOperationException"},
	}
	for _, tc := range cases {
		req, _ := http.NewRequest(tc.method, s.URL+tc.path, strings.NewReader(tc.body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		var e struct{ Message string }
		if resp.StatusCode != tc.status || resp.Header.Get("X-Amzn-ErrorType") != tc.code || json.Unmarshal(body, &e) != nil || e.Message == "" {
			t.Errorf("%s %s %s: %d %s %s", tc.method, tc.path, tc.body, resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), body)
		}
	}
}

func TestStartJobRunIsIdempotent(t *testing.T) {
	s := startServer(t, "")
	ctx := context.Background()
	vc := createVC(t, s.Client, "idem", "idem")
	in := piInput(vc)
	in.ClientToken = aws.String("token-1")
	in.JobDriver.SparkSubmitJobDriver.EntryPoint = aws.String("local:///usr/lib/spark/examples/none.py") // fails fast, no Spark
	a, err := s.Client.StartJobRun(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Client.StartJobRun(ctx, in)
	if err != nil || aws.ToString(b.Id) != aws.ToString(a.Id) {
		t.Fatalf("replay: %v, id %s vs %s", err, aws.ToString(b.Id), aws.ToString(a.Id))
	}
	in.Name = aws.String("different")
	if _, err := s.Client.StartJobRun(ctx, in); apiCode(err) != "ValidationException" {
		t.Errorf("same token, different request: %v", err)
	}
	d, _ := s.Client.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vc), Id: a.Id})
	if aws.ToString(d.JobRun.ClientToken) != "token-1" {
		t.Errorf("clientToken echoed as %q", aws.ToString(d.JobRun.ClientToken))
	}
}

func localProvider(ns string) *types.ContainerProvider {
	return &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
		Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(ns)}}}
}

func piInput(vc string) *emrcontainers.StartJobRunInput {
	return &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vc),
		Name:             aws.String("pi"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
		ReleaseLabel:     aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String(piEntryPoint), SparkSubmitParameters: aws.String(piParams)}},
	}
}

func listVCs(t *testing.T, c *emrcontainers.Client, in *emrcontainers.ListVirtualClustersInput) []types.VirtualCluster {
	t.Helper()
	out, err := c.ListVirtualClusters(context.Background(), in)
	if err != nil {
		t.Fatal(err)
	}
	return out.VirtualClusters
}

func TestListVirtualClustersEKSAccessEntryFilter(t *testing.T) {
	s := startServer(t, "")
	createVC(t, s.Client, "plain", "plain")
	ctx := context.Background()
	if out, err := s.Client.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{EksAccessEntryIntegrated: aws.Bool(true)}); err != nil || len(out.VirtualClusters) != 0 {
		t.Errorf("integrated=true: %v, %v; want none", out, err)
	}
	if out, err := s.Client.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{EksAccessEntryIntegrated: aws.Bool(false)}); err != nil || len(out.VirtualClusters) != 1 {
		t.Errorf("integrated=false: %v, %v; want the one cluster", out, err)
	}
	resp, err := http.Get(s.URL + "/virtualclusters?eksAccessEntryIntegrated=maybe")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != "ValidationException" {
		t.Errorf("integrated=maybe: %d %s", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"))
	}
}
