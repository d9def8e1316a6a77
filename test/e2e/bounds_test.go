package e2e

import (
	"context"
	"net/url"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// Bad input, tried as a new user would through the SDK and raw HTTP
// against a whole server: each is a ValidationException that names what is
// wrong, and nothing is created.
func TestBoundsOnBadInput(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "bounds", "bounds")

	in := func(args []string, params string, attempts int32) *emrcontainers.StartJobRunInput {
		in := &emrcontainers.StartJobRunInput{VirtualClusterId: aws.String(vc), Name: aws.String("bad"),
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
			JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
				EntryPoint: aws.String("local:///a.py"), EntryPointArguments: args, SparkSubmitParameters: aws.String(params)}}}
		if attempts != 0 {
			in.RetryPolicyConfiguration = &types.RetryPolicyConfiguration{MaxAttempts: aws.Int32(attempts)}
		}
		return in
	}
	big := make([]string, 110) // 110 × 10,000 bytes: over the 1 MiB body limit
	for i := range big {
		big[i] = strings.Repeat("x", 10000)
	}
	for _, tc := range []struct {
		name string
		in   *emrcontainers.StartJobRunInput
		want string
	}{
		{"a body over 1 MiB", in(big, "--conf a=b", 0), "1048576 bytes"},
		{"maxAttempts 11", in(nil, "--conf a=b", 11), "retryPolicyConfiguration.maxAttempts"},
		{"2^31-1 executors of 2^31-1 cores", in(nil, "--conf spark.executor.instances=2147483647 --conf spark.executor.cores=2147483647", 0), "spark.executor.instances"},
	} {
		_, err := c.StartJobRun(ctx, tc.in)
		var ve *types.ValidationException
		if !asErr(err, &ve) || !strings.Contains(ve.ErrorMessage(), tc.want) {
			t.Errorf("%s: %v, want a ValidationException naming %s", tc.name, err, tc.want)
		}
	}
	_, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc), NextToken: aws.String("garbage")})
	var ve *types.ValidationException
	if !asErr(err, &ve) || !strings.Contains(ve.ErrorMessage(), "nextToken") {
		t.Errorf("garbage nextToken: %v", err)
	}
	for _, q := range []string{"createdAfter=NaN", "createdBefore=Infinity", "createdAfter=1e400", "createdBefore=abc"} {
		code, msg := rawCall(t, "GET", s.URL+"/virtualclusters/"+vc+"/jobruns?"+q, "", nil)
		if code != 400 || !strings.HasPrefix(msg, "ValidationException") || !strings.Contains(msg, strings.Split(q, "=")[0]) {
			t.Errorf("%s: %d %s", q, code, msg)
		}
	}
	code, msg := rawCall(t, "POST", s.URL+"/virtualclusters/"+url.PathEscape(vc)+"/jobruns",
		"{\"clientToken\":\"t\",\"name\":\"\xff\",\"releaseLabel\":\"emr-7.2.0-latest\",\"executionRoleArn\":\"arn:aws:iam::123456789012:role/r\",\"jobDriver\":{\"sparkSubmitJobDriver\":{\"entryPoint\":\"local:///a.py\"}}}", nil)
	if code != 400 || !strings.Contains(msg, "UTF-8") {
		t.Errorf("invalid UTF-8: %d %s", code, msg)
	}
	if runs := pageRuns(t, c, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(vc)}); len(runs) != 0 {
		t.Errorf("runs created: %v", runs)
	}
}
