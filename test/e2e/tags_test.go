package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

func listTags(t *testing.T, c *emrcontainers.Client, arn string) map[string]string {
	t.Helper()
	out, err := c.ListTagsForResource(context.Background(), &emrcontainers.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
	if err != nil {
		t.Fatalf("ListTagsForResource(%s): %v", arn, err)
	}
	return out.Tags
}

func sameTags(got, want map[string]string) bool {
	return maps.Equal(got, want) || len(got) == 0 && len(want) == 0
}

// The ARN goes through the SDK percent-encoded as one path segment
// (%3A, %2F): tag a virtual cluster and a job run and see the tags in
// ListTagsForResource, Describe and List.
func TestTagsThroughTheSDK(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vcOut, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("tags"),
		ContainerProvider: localProvider("tags"), Tags: map[string]string{"team": "data"}})
	if err != nil {
		t.Fatal(err)
	}
	vc, vcARN := aws.ToString(vcOut.Id), aws.ToString(vcOut.Arn)
	in := piInput(vc)
	in.JobDriver.SparkSubmitJobDriver.EntryPoint = aws.String(missingEntryPoint)
	in.Tags = map[string]string{"run": "1"}
	runOut, err := c.StartJobRun(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	run, runARN := aws.ToString(runOut.Id), aws.ToString(runOut.Arn)

	for _, tc := range []struct {
		arn     string
		initial map[string]string
	}{{vcARN, map[string]string{"team": "data"}}, {runARN, map[string]string{"run": "1"}}} {
		if got := listTags(t, c, tc.arn); !sameTags(got, tc.initial) {
			t.Errorf("%s: initial tags %v, want %v", tc.arn, got, tc.initial)
		}
		if _, err := c.TagResource(ctx, &emrcontainers.TagResourceInput{ResourceArn: aws.String(tc.arn),
			Tags: map[string]string{"env": "prod", "cost-center": "", "team": "ml"}}); err != nil {
			t.Fatalf("TagResource(%s): %v", tc.arn, err)
		}
		if _, err := c.UntagResource(ctx, &emrcontainers.UntagResourceInput{ResourceArn: aws.String(tc.arn),
			TagKeys: []string{"env", "run", "never-there"}}); err != nil {
			t.Fatalf("UntagResource(%s): %v", tc.arn, err)
		}
		if _, err := c.UntagResource(ctx, &emrcontainers.UntagResourceInput{ResourceArn: aws.String(tc.arn), TagKeys: []string{}}); err != nil {
			t.Fatalf("UntagResource(no keys): %v", err)
		}
		if got, want := listTags(t, c, tc.arn), map[string]string{"cost-center": "", "team": "ml"}; !sameTags(got, want) {
			t.Errorf("%s: tags %v, want %v", tc.arn, got, want)
		}
	}
	want := map[string]string{"cost-center": "", "team": "ml"}
	d, err := c.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(vc)})
	if err != nil || !sameTags(d.VirtualCluster.Tags, want) {
		t.Errorf("DescribeVirtualCluster tags %v (%v)", d.VirtualCluster.Tags, err)
	}
	if l := listVCs(t, c, &emrcontainers.ListVirtualClustersInput{}); len(l) != 1 || !sameTags(l[0].Tags, want) {
		t.Errorf("ListVirtualClusters tags %v", l)
	}
	// The controller moves the run to FAILED meanwhile; its tags stay.
	r, _ := waitFor(t, c, vc, run, time.Minute, terminal)
	if r.State != types.JobRunStateFailed || !sameTags(r.Tags, want) {
		t.Errorf("DescribeJobRun: %s with tags %v", r.State, r.Tags)
	}
	runs, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc)})
	if err != nil || len(runs.JobRuns) != 1 || !sameTags(runs.JobRuns[0].Tags, want) {
		t.Errorf("ListJobRuns: %v", err)
	}
}

// Tags written while the controller moves runs through their states are
// all kept, and so is every state change.
func TestTagsRaceStateChanges(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "race", "race")
	var runs, arns []string
	for range 4 {
		in := piInput(vc)
		in.JobDriver.SparkSubmitJobDriver.EntryPoint = aws.String(missingEntryPoint)
		out, err := c.StartJobRun(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		runs, arns = append(runs, aws.ToString(out.Id)), append(arns, aws.ToString(out.Arn))
	}
	var wg sync.WaitGroup
	for i, arn := range arns {
		for w := range 3 {
			wg.Go(func() {
				for j := range 10 {
					if _, err := c.TagResource(ctx, &emrcontainers.TagResourceInput{ResourceArn: aws.String(arn),
						Tags: map[string]string{fmt.Sprintf("w%d-%d", w, j): fmt.Sprint(i)}}); err != nil {
						t.Errorf("TagResource: %v", err)
					}
				}
			})
		}
	}
	wg.Wait()
	for _, id := range runs {
		r, _ := waitFor(t, c, vc, id, time.Minute, terminal)
		if r.State != types.JobRunStateFailed || len(r.Tags) != 30 {
			t.Errorf("run %s: %s with %d tags, want FAILED with 30", id, r.State, len(r.Tags))
		}
	}
}

func TestTagErrors(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "tag-errors", "tag-errors")
	vcARN := "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/" + vc
	tmpl := createTemplate(t, c, piTemplate("t"))
	tag := func(arn string, tags map[string]string) func() error {
		return func() error {
			_, err := c.TagResource(ctx, &emrcontainers.TagResourceInput{ResourceArn: aws.String(arn), Tags: tags})
			return err
		}
	}
	untag := func(arn string, keys ...string) func() error {
		return func() error {
			_, err := c.UntagResource(ctx, &emrcontainers.UntagResourceInput{ResourceArn: aws.String(arn), TagKeys: keys})
			return err
		}
	}
	list := func(arn string) func() error {
		return func() error {
			_, err := c.ListTagsForResource(ctx, &emrcontainers.ListTagsForResourceInput{ResourceArn: aws.String(arn)})
			return err
		}
	}
	many := map[string]string{}
	for i := range 50 {
		many[fmt.Sprint("k", i)] = "v"
	}
	unknownVC := strings.Replace(vcARN, vc, "zzzzzzzzzzzzzzzzzzzzzzzzz", 1)
	if err := tag(vcARN, map[string]string{"first": "1"})(); err != nil {
		t.Fatal(err)
	}
	runErrorCases(t, []errorCase{
		{"job template ARN", tag("arn:aws:emr-containers:us-east-1:123456789012:/jobtemplates/"+tmpl, map[string]string{"a": "b"}), "ValidationException", "resourceArn"},
		{"not an ARN", list("virtual-cluster-" + vc + "-with-a-long-enough-name-to-pass-the-minimum"), "ValidationException", "resourceArn"},
		{"too short", list("arn:aws:emr-containers:x:123456789012:/virtualclusters/x"), "ValidationException", "resourceArn"},
		{"unknown sub-resource", list(vcARN + "/notebooks/abc"), "ValidationException", "resourceArn"},
		{"unknown virtual cluster", list(unknownVC), "ResourceNotFoundException", unknownVC},
		{"unknown job run", tag(vcARN+"/jobruns/0000000000000000000", map[string]string{"a": "b"}), "ResourceNotFoundException", "0000000000000000000"},
		{"unknown endpoint", untag(vcARN+"/endpoints/abc", "a"), "ResourceNotFoundException", "abc"},
		{"another region", list(strings.Replace(vcARN, "us-east-1", "eu-west-1", 1)), "ResourceNotFoundException", "eu-west-1"},
		{"another account", list(strings.Replace(vcARN, "123456789012", "210987654321", 1)), "ResourceNotFoundException", "210987654321"},
		{"more than 50 tags in all", tag(vcARN, many), "ValidationException", "more than 50 tags"},
		{"blank key", tag(vcARN, map[string]string{" ": "v"}), "ValidationException", "tags.key"},
		{"long value", tag(vcARN, map[string]string{"k": strings.Repeat("v", 257)}), "ValidationException", "tags.k"},
		{"blank tag key to remove", untag(vcARN, ""), "ValidationException", "tagKeys"},
	})
	if got := listTags(t, c, vcARN); !sameTags(got, map[string]string{"first": "1"}) {
		t.Errorf("refused requests changed the tags: %v", got)
	}
}

// Raw HTTP: the ARN percent-encoded (as the SDKs and CLI send it) or not
// at all reaches the same resource; no ARN at all is a ValidationException.
func TestTagPathEncodings(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "paths", "paths")
	arn := "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/" + vc
	do := func(method, path, body string) (int, string, string) {
		req, _ := http.NewRequest(method, s.URL+path, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), string(b)
	}
	encoded := "/tags/" + url.PathEscape(arn)
	if !strings.Contains(encoded, "%2F") {
		encoded = "/tags/" + strings.ReplaceAll(url.PathEscape(arn), "/", "%2F")
	}
	if code, typ, body := do("POST", encoded, `{"tags":{"a":"1"}}`); code != 200 || body != "{}\n" {
		t.Fatalf("POST %s: %d %s %s", encoded, code, typ, body)
	}
	if code, typ, body := do("POST", "/tags/"+arn, `{"tags":{"b":"2"}}`); code != 200 {
		t.Fatalf("POST unencoded: %d %s %s", code, typ, body)
	}
	if code, _, body := do("DELETE", encoded+"?tagKeys=a&tagKeys=zz", ""); code != 200 {
		t.Fatalf("DELETE: %d %s", code, body)
	}
	code, _, body := do("GET", "/tags/"+arn, "")
	var out struct{ Tags map[string]string }
	if code != 200 || json.Unmarshal([]byte(body), &out) != nil || !sameTags(out.Tags, map[string]string{"b": "2"}) {
		t.Fatalf("GET: %d %s", code, body)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", "/tags/", ""},
		{"POST", encoded, `{}`},
		{"POST", encoded, `{"tags":[]}`},
		{"DELETE", encoded + "?tagKeys=", ""},
	} {
		if code, typ, body := do(tc.method, tc.path, tc.body); code != 400 || typ != "ValidationException" {
			t.Errorf("%s %s %s: %d %s %s", tc.method, tc.path, tc.body, code, typ, body)
		}
	}
}
