package e2e

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

func studioEndpoint(vc, typ string) *emrcontainers.CreateManagedEndpointInput {
	return &emrcontainers.CreateManagedEndpointInput{
		VirtualClusterId: aws.String(vc),
		Name:             aws.String("studio"),
		Type:             aws.String(typ),
		ReleaseLabel:     aws.String("emr-6.15.0-latest"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/Studio"),
		CertificateArn:   aws.String("arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234"),
		Tags:             map[string]string{"team": "notebooks"},
		ConfigurationOverrides: &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{
			{Classification: aws.String("spark-defaults"), Properties: map[string]string{"spark.driver.memory": "2G"}}}},
	}
}

func pageEndpoints(t *testing.T, c *emrcontainers.Client, in *emrcontainers.ListManagedEndpointsInput) []string {
	t.Helper()
	var out []string
	p := emrcontainers.NewListManagedEndpointsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range page.Endpoints {
			out = append(out, aws.ToString(e.Id))
		}
	}
	return out
}

// Managed endpoints are stored and described truthfully: nothing runs
// behind them, and they say so.
func TestManagedEndpoints(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "studio", "studio")

	in := studioEndpoint(vc, "JUPYTER_ENTERPRISE_GATEWAY")
	in.ClientToken = aws.String("endpoint-token")
	out, err := c.CreateManagedEndpoint(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	id, arn := aws.ToString(out.Id), aws.ToString(out.Arn)
	if aws.ToString(out.VirtualClusterId) != vc || arn != "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/"+vc+"/endpoints/"+id {
		t.Errorf("created %+v", out)
	}
	if again, err := c.CreateManagedEndpoint(ctx, in); err != nil || aws.ToString(again.Id) != id {
		t.Errorf("replay: %v", err)
	}
	d, err := c.DescribeManagedEndpoint(ctx, &emrcontainers.DescribeManagedEndpointInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	e := d.Endpoint
	if e.State != types.EndpointStateTerminatedWithErrors || e.FailureReason != types.FailureReasonValidationError ||
		!strings.Contains(aws.ToString(e.StateDetails), "does not serve interactive endpoints") || e.ServerUrl != nil {
		t.Errorf("state %s %s %q, serverUrl %v: want an honest TERMINATED_WITH_ERRORS", e.State, e.FailureReason, aws.ToString(e.StateDetails), e.ServerUrl)
	}
	if aws.ToString(e.Type) != "JUPYTER_ENTERPRISE_GATEWAY" || aws.ToString(e.ReleaseLabel) != "emr-6.15.0-latest" ||
		aws.ToString(e.ExecutionRoleArn) != "arn:aws:iam::123456789012:role/Studio" || aws.ToString(e.CertificateArn) == "" ||
		e.Tags["team"] != "notebooks" || e.CreatedAt == nil || aws.ToString(e.Arn) != arn ||
		e.ConfigurationOverrides.ApplicationConfiguration[0].Properties["spark.driver.memory"] != "2G" {
		t.Errorf("described %+v", e)
	}

	// The endpoint's ARN is taggable.
	if _, err := c.TagResource(ctx, &emrcontainers.TagResourceInput{ResourceArn: aws.String(arn), Tags: map[string]string{"owner": "ana"}}); err != nil {
		t.Fatal(err)
	}
	if got := listTags(t, c, arn); got["owner"] != "ana" || got["team"] != "notebooks" {
		t.Errorf("endpoint tags %v", got)
	}

	// No credentials: a ValidationException that says why, whether the
	// endpoint is named by id or by ARN.
	for _, ids := range [][2]string{{vc, id}, {"arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/" + vc, arn}} {
		_, err = c.GetManagedEndpointSessionCredentials(ctx, &emrcontainers.GetManagedEndpointSessionCredentialsInput{
			VirtualClusterIdentifier: aws.String(ids[0]), EndpointIdentifier: aws.String(ids[1]),
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/Studio"), CredentialType: aws.String("TOKEN"),
			DurationInSeconds: aws.Int32(900)})
		if !isType[*types.ValidationException](err) || !strings.Contains(err.Error(), "does not serve interactive endpoints") {
			t.Errorf("session credentials of %v: %v", ids, err)
		}
	}

	// Listing: more endpoints, filters, paginator.
	mid := pause()
	livy := aws.ToString(mustCreateEndpoint(t, c, studioEndpoint(vc, "LIVY")).Id)
	pause() // created in the same millisecond, they would list in id order
	third := aws.ToString(mustCreateEndpoint(t, c, studioEndpoint(vc, "JUPYTER_ENTERPRISE_GATEWAY")).Id)
	otherVC := createVC(t, c, "other", "other")
	mustCreateEndpoint(t, c, studioEndpoint(otherVC, "LIVY"))
	del, err := c.DeleteManagedEndpoint(ctx, &emrcontainers.DeleteManagedEndpointInput{VirtualClusterId: aws.String(vc), Id: aws.String(third)})
	if err != nil || aws.ToString(del.Id) != third || aws.ToString(del.VirtualClusterId) != vc {
		t.Fatalf("DeleteManagedEndpoint: %v", err)
	}
	if _, err := c.DeleteManagedEndpoint(ctx, &emrcontainers.DeleteManagedEndpointInput{VirtualClusterId: aws.String(vc), Id: aws.String(third)}); err != nil {
		t.Errorf("delete twice: %v", err)
	}
	gone, _ := c.DescribeManagedEndpoint(ctx, &emrcontainers.DescribeManagedEndpointInput{VirtualClusterId: aws.String(vc), Id: aws.String(third)})
	if gone == nil || gone.Endpoint.State != types.EndpointStateTerminated || gone.Endpoint.FailureReason != "" {
		t.Errorf("after delete: %+v", gone)
	}
	one := aws.Int32(1)
	for _, tc := range []struct {
		name string
		in   emrcontainers.ListManagedEndpointsInput
		want []string
	}{
		{"all", emrcontainers.ListManagedEndpointsInput{}, []string{third, livy, id}},
		{"type", emrcontainers.ListManagedEndpointsInput{Types: []string{"LIVY"}}, []string{livy}},
		{"types", emrcontainers.ListManagedEndpointsInput{Types: []string{"LIVY", "JUPYTER_ENTERPRISE_GATEWAY"}}, []string{third, livy, id}},
		{"state", emrcontainers.ListManagedEndpointsInput{States: []types.EndpointState{types.EndpointStateTerminated}}, []string{third}},
		{"ACTIVE", emrcontainers.ListManagedEndpointsInput{States: []types.EndpointState{types.EndpointStateActive}}, nil},
		{"created after", emrcontainers.ListManagedEndpointsInput{CreatedAfter: aws.Time(mid)}, []string{third, livy}},
		{"created before", emrcontainers.ListManagedEndpointsInput{CreatedBefore: aws.Time(mid)}, []string{id}},
	} {
		in := tc.in
		in.VirtualClusterId, in.MaxResults = aws.String(vc), one
		if got := pageEndpoints(t, c, &in); !slices.Equal(got, tc.want) {
			t.Errorf("ListManagedEndpoints %s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func mustCreateEndpoint(t *testing.T, c *emrcontainers.Client, in *emrcontainers.CreateManagedEndpointInput) *emrcontainers.CreateManagedEndpointOutput {
	t.Helper()
	out, err := c.CreateManagedEndpoint(context.Background(), in)
	if err != nil {
		t.Fatalf("CreateManagedEndpoint: %v", err)
	}
	return out
}

func TestManagedEndpointErrors(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	vc := createVC(t, c, "errs", "errs")
	gone := createVC(t, c, "gone", "gone")
	if _, err := c.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(gone)}); err != nil {
		t.Fatal(err)
	}
	unknown := "zzzzzzzzzzzzzzzzzzzzzzzzz"
	create := func(mod func(*emrcontainers.CreateManagedEndpointInput)) func() error {
		return func() error {
			in := studioEndpoint(vc, "JUPYTER_ENTERPRISE_GATEWAY")
			mod(in)
			_, err := c.CreateManagedEndpoint(ctx, in)
			return err
		}
	}
	creds := func(vcID, id string) func() error {
		return func() error {
			_, err := c.GetManagedEndpointSessionCredentials(ctx, &emrcontainers.GetManagedEndpointSessionCredentialsInput{
				VirtualClusterIdentifier: aws.String(vcID), EndpointIdentifier: aws.String(id),
				ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/Studio"), CredentialType: aws.String("TOKEN")})
			return err
		}
	}
	list := func(in *emrcontainers.ListManagedEndpointsInput) func() error {
		return func() error {
			in.VirtualClusterId = aws.String(vc)
			_, err := c.ListManagedEndpoints(ctx, in)
			return err
		}
	}
	runErrorCases(t, []errorCase{
		{"unknown virtual cluster", create(func(in *emrcontainers.CreateManagedEndpointInput) { in.VirtualClusterId = aws.String(unknown) }),
			"ResourceNotFoundException", unknown},
		{"terminated virtual cluster", create(func(in *emrcontainers.CreateManagedEndpointInput) { in.VirtualClusterId = aws.String(gone) }),
			"ValidationException", gone},
		{"unknown release", create(func(in *emrcontainers.CreateManagedEndpointInput) { in.ReleaseLabel = aws.String("emr-5.1.0-latest") }),
			"ResourceNotFoundException", "emr-5.1.0-latest"},
		{"role", create(func(in *emrcontainers.CreateManagedEndpointInput) {
			in.ExecutionRoleArn = aws.String("arn:aws:iam::123456789012:user/u")
		}),
			"ValidationException", "executionRoleArn"},
		{"certificate", create(func(in *emrcontainers.CreateManagedEndpointInput) {
			in.CertificateArn = aws.String("arn:aws:acm:us-east-1:123456789012:other/abcdefgh")
		}), "ValidationException", "certificateArn"},
		{"describe unknown", func() error {
			_, err := c.DescribeManagedEndpoint(ctx, &emrcontainers.DescribeManagedEndpointInput{VirtualClusterId: aws.String(vc), Id: aws.String("abc")})
			return err
		}, "ResourceNotFoundException", "abc"},
		{"delete unknown", func() error {
			_, err := c.DeleteManagedEndpoint(ctx, &emrcontainers.DeleteManagedEndpointInput{VirtualClusterId: aws.String(vc), Id: aws.String("abc")})
			return err
		}, "ValidationException", "abc"},
		{"credentials of an unknown endpoint", creds(vc, "abc"), "ResourceNotFoundException", "abc"},
		{"credentials with a bad duration", func() error {
			_, err := c.GetManagedEndpointSessionCredentials(ctx, &emrcontainers.GetManagedEndpointSessionCredentialsInput{
				VirtualClusterIdentifier: aws.String(vc), EndpointIdentifier: aws.String("abc"), DurationInSeconds: aws.Int32(50000),
				ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/Studio"), CredentialType: aws.String("TOKEN")})
			return err
		}, "ValidationException", "durationInSeconds"},
		{"bad state filter", list(&emrcontainers.ListManagedEndpointsInput{States: []types.EndpointState{"RUNNING"}}), "ValidationException", "states"},
		{"too many types", list(&emrcontainers.ListManagedEndpointsInput{Types: slices.Repeat([]string{"t"}, 11)}), "ValidationException", "types"},
	})
	// sessionIdleTimeoutInMinutes is newer than the pinned SDK: raw JSON.
	body := `{"name":"n","type":"JUPYTER_ENTERPRISE_GATEWAY","releaseLabel":"emr-7.2.0-latest","clientToken":"t",
	  "executionRoleArn":"arn:aws:iam::123456789012:role/Studio","sessionIdleTimeoutInMinutes":%d}`
	if code, msg := rawCall(t, "POST", s.URL+"/virtualclusters/"+vc+"/endpoints", strings.Replace(body, "%d", "0", 1), nil); code != 400 ||
		!strings.Contains(msg, "sessionIdleTimeoutInMinutes") {
		t.Errorf("idle timeout 0: %d %s", code, msg)
	}
	if code, msg := rawCall(t, "POST", s.URL+"/virtualclusters/"+vc+"/endpoints", strings.Replace(body, "%d", "120", 1), nil); code != 200 {
		t.Errorf("idle timeout 120: %d %s", code, msg)
	}
	// The credentials path takes an ARN as one percent-encoded segment.
	code, msg := rawCall(t, "POST", s.URL+"/virtualclusters/"+vc+"/endpoints/"+url.PathEscape("arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/"+vc+"/endpoints/abc")+"/credentials",
		`{"executionRoleArn":"arn:aws:iam::123456789012:role/Studio","credentialType":"TOKEN"}`, nil)
	if code != 400 || !strings.HasPrefix(msg, "ResourceNotFoundException") {
		t.Errorf("credentials by ARN of an unknown endpoint: %d %s", code, msg)
	}
}
