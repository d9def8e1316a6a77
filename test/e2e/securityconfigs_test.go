package e2e

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

func lakeFormationConfig(name string) *emrcontainers.CreateSecurityConfigurationInput {
	return &emrcontainers.CreateSecurityConfigurationInput{
		Name: aws.String(name),
		Tags: map[string]string{"team": "security"},
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("system")}}},
		SecurityConfigurationData: &types.SecurityConfigurationData{AuthorizationConfiguration: &types.AuthorizationConfiguration{
			LakeFormationConfiguration: &types.LakeFormationConfiguration{
				AuthorizedSessionTagValue: aws.String("EMR on EKS Engine"),
				SecureNamespaceInfo:       &types.SecureNamespaceInfo{ClusterId: aws.String("local"), Namespace: aws.String("system")},
				QueryEngineRoleArn:        aws.String("arn:aws:iam::123456789012:role/QueryEngine"),
			},
			EncryptionConfiguration: &types.EncryptionConfiguration{InTransitEncryptionConfiguration: &types.InTransitEncryptionConfiguration{
				TlsCertificateConfiguration: &types.TLSCertificateConfiguration{CertificateProviderType: types.CertificateProviderTypePem,
					PublicCertificateSecretArn:  aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:pub"),
					PrivateCertificateSecretArn: aws.String("arn:aws:secretsmanager:us-east-1:123456789012:secret:priv")}}},
		}},
	}
}

// rawCall sends what the pinned SDK cannot (operations and members newer
// than it) and decodes a JSON answer into out.
func rawCall(t *testing.T, method, url, body string, out any) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(method, url, strings.NewReader(body))
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 && out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s %s: %v: %s", method, url, err, b)
		}
	}
	return resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType") + ": " + string(b)
}

func TestSecurityConfigurations(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()

	in := lakeFormationConfig("lf")
	in.ClientToken = aws.String("sc-token")
	out, err := c.CreateSecurityConfiguration(ctx, in)
	if err != nil {
		t.Fatal(err)
	}
	id := aws.ToString(out.Id)
	if len(id) != 25 || aws.ToString(out.Arn) != "arn:aws:emr-containers:us-east-1:123456789012:/securityconfigurations/"+id {
		t.Errorf("created %+v", out)
	}
	if again, err := c.CreateSecurityConfiguration(ctx, in); err != nil || aws.ToString(again.Id) != id {
		t.Errorf("replay: %v", err)
	}
	d, err := c.DescribeSecurityConfiguration(ctx, &emrcontainers.DescribeSecurityConfigurationInput{Id: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	sc := d.SecurityConfiguration
	lf := sc.SecurityConfigurationData.AuthorizationConfiguration.LakeFormationConfiguration
	tls := sc.SecurityConfigurationData.AuthorizationConfiguration.EncryptionConfiguration.InTransitEncryptionConfiguration.TlsCertificateConfiguration
	if aws.ToString(sc.Name) != "lf" || sc.CreatedAt == nil || aws.ToString(sc.CreatedBy) == "" || sc.Tags["team"] != "security" ||
		aws.ToString(lf.AuthorizedSessionTagValue) != "EMR on EKS Engine" || aws.ToString(lf.SecureNamespaceInfo.Namespace) != "system" ||
		tls.CertificateProviderType != types.CertificateProviderTypePem || aws.ToString(tls.PrivateCertificateSecretArn) == "" {
		t.Errorf("described %+v", sc)
	}

	// authenticationConfiguration is newer than the pinned SDK: raw JSON.
	body := `{"name":"idc","clientToken":"raw-1","securityConfigurationData":{"authenticationConfiguration":{
	  "identityCenterConfiguration":{"enableIdentityCenter":true,"identityCenterApplicationAssignmentRequired":false,
	    "identityCenterInstanceARN":"arn:aws:sso:::instance/ssoins-1234","emrIdentityCenterApplicationARN":"arn:aws:sso:::application/ssoins-1234/apl-99"},
	  "iamConfiguration":{"systemRole":"arn:aws:iam::123456789012:role/System"}}}}`
	var rawOut struct{ ID string }
	if code, msg := rawCall(t, "POST", s.URL+"/securityconfigurations", body, &rawOut); code != 200 {
		t.Fatalf("create with authenticationConfiguration: %s", msg)
	}
	var rawDesc struct {
		SecurityConfiguration struct {
			SecurityConfigurationData struct {
				AuthenticationConfiguration struct {
					IdentityCenterConfiguration struct {
						EnableIdentityCenter                        *bool
						IdentityCenterApplicationAssignmentRequired *bool
						IdentityCenterInstanceARN                   string
					}
					IAMConfiguration struct{ SystemRole string }
				}
			}
		}
	}
	if code, msg := rawCall(t, "GET", s.URL+"/securityconfigurations/"+rawOut.ID, "", &rawDesc); code != 200 {
		t.Fatal(msg)
	}
	ic := rawDesc.SecurityConfiguration.SecurityConfigurationData.AuthenticationConfiguration.IdentityCenterConfiguration
	if ic.EnableIdentityCenter == nil || !*ic.EnableIdentityCenter || ic.IdentityCenterApplicationAssignmentRequired == nil ||
		*ic.IdentityCenterApplicationAssignmentRequired || ic.IdentityCenterInstanceARN == "" ||
		rawDesc.SecurityConfiguration.SecurityConfigurationData.AuthenticationConfiguration.IAMConfiguration.SystemRole == "" {
		t.Errorf("authenticationConfiguration round trip: %+v", rawDesc)
	}

	// Listing, newest first, through the paginator; createdAfter/Before.
	mid := pause()
	thirdOut, err := c.CreateSecurityConfiguration(ctx, lakeFormationConfig("third"))
	if err != nil {
		t.Fatal(err)
	}
	third := aws.ToString(thirdOut.Id)
	var listed []string
	p := emrcontainers.NewListSecurityConfigurationsPaginator(c, &emrcontainers.ListSecurityConfigurationsInput{MaxResults: aws.Int32(1)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sc := range page.SecurityConfigurations {
			listed = append(listed, aws.ToString(sc.Id))
		}
	}
	if !slices.Equal(listed, []string{third, rawOut.ID, id}) {
		t.Errorf("listed %v", listed)
	}
	after, err := c.ListSecurityConfigurations(ctx, &emrcontainers.ListSecurityConfigurationsInput{CreatedAfter: aws.Time(mid)})
	if err != nil || len(after.SecurityConfigurations) != 1 || aws.ToString(after.SecurityConfigurations[0].Id) != third {
		t.Errorf("createdAfter: %v", err)
	}
	before, err := c.ListSecurityConfigurations(ctx, &emrcontainers.ListSecurityConfigurationsInput{CreatedBefore: aws.Time(mid)})
	if err != nil || len(before.SecurityConfigurations) != 2 {
		t.Errorf("createdBefore: %v", err)
	}

	// A virtual cluster may use it; one naming another is refused.
	_, err = c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("secure"),
		ContainerProvider: localProvider("secure"), SecurityConfigurationId: aws.String("zzzzzzzzzzzzzzzzzzzzzzzzz")})
	if !isType[*types.ResourceNotFoundException](err) || !strings.Contains(err.Error(), "zzzzzzzzzzzzzzzzzzzzzzzzz") {
		t.Errorf("virtual cluster with an unknown security configuration: %v", err)
	}
	vcOut, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("secure"),
		ContainerProvider: localProvider("secure"), SecurityConfigurationId: aws.String(id)})
	if err != nil {
		t.Fatal(err)
	}
	vc := aws.ToString(vcOut.Id)
	dvc, err := c.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: aws.String(vc)})
	if err != nil || aws.ToString(dvc.VirtualCluster.SecurityConfigurationId) != id {
		t.Errorf("virtual cluster's securityConfigurationId: %v", err)
	}

	// DeleteSecurityConfiguration (newer than the pinned SDK): refused while used.
	if code, msg := rawCall(t, "DELETE", s.URL+"/securityconfigurations/"+id, "", nil); code != 400 ||
		!strings.HasPrefix(msg, "ValidationException") || !strings.Contains(msg, vc) {
		t.Errorf("delete while used: %d %s", code, msg)
	}
	if _, err := c.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(vc)}); err != nil {
		t.Fatal(err)
	}
	var deleted struct{ ID string }
	if code, msg := rawCall(t, "DELETE", s.URL+"/securityconfigurations/"+id, "", &deleted); code != 200 || deleted.ID != id {
		t.Errorf("delete once unused: %d %s", code, msg)
	}
	_, err = c.DescribeSecurityConfiguration(ctx, &emrcontainers.DescribeSecurityConfigurationInput{Id: aws.String(id)})
	if !isType[*types.ResourceNotFoundException](err) {
		t.Errorf("describe after delete: %v", err)
	}
	if code, msg := rawCall(t, "DELETE", s.URL+"/securityconfigurations/"+id, "", nil); code != 400 || !strings.HasPrefix(msg, "ValidationException") {
		t.Errorf("delete twice: %d %s", code, msg)
	}
}

func TestSecurityConfigurationErrors(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	create := func(mod func(*emrcontainers.CreateSecurityConfigurationInput)) func() error {
		return func() error {
			in := lakeFormationConfig("bad")
			mod(in)
			_, err := c.CreateSecurityConfiguration(ctx, in)
			return err
		}
	}
	lf := func(in *emrcontainers.CreateSecurityConfigurationInput) *types.LakeFormationConfiguration {
		return in.SecurityConfigurationData.AuthorizationConfiguration.LakeFormationConfiguration
	}
	tls := func(in *emrcontainers.CreateSecurityConfigurationInput) *types.TLSCertificateConfiguration {
		return in.SecurityConfigurationData.AuthorizationConfiguration.EncryptionConfiguration.InTransitEncryptionConfiguration.TlsCertificateConfiguration
	}
	runErrorCases(t, []errorCase{
		{"name pattern", create(func(in *emrcontainers.CreateSecurityConfigurationInput) { in.Name = aws.String("a b") }), "ValidationException", "'name'"},
		{"session tag", create(func(in *emrcontainers.CreateSecurityConfigurationInput) {
			lf(in).AuthorizedSessionTagValue = aws.String("a;b")
		}),
			"ValidationException", "authorizedSessionTagValue"},
		{"query engine role", create(func(in *emrcontainers.CreateSecurityConfigurationInput) {
			lf(in).QueryEngineRoleArn = aws.String("role")
		}),
			"ValidationException", "queryEngineRoleArn"},
		{"secure namespace", create(func(in *emrcontainers.CreateSecurityConfigurationInput) {
			lf(in).SecureNamespaceInfo.Namespace = aws.String("Not_DNS")
		}), "ValidationException", "secureNamespaceInfo.namespace"},
		{"certificate provider", create(func(in *emrcontainers.CreateSecurityConfigurationInput) { tls(in).CertificateProviderType = "DER" }),
			"ValidationException", "certificateProviderType"},
		{"secret ARN", create(func(in *emrcontainers.CreateSecurityConfigurationInput) {
			tls(in).PublicCertificateSecretArn = aws.String("arn:aws:secretsmanager:us-east-1:123456789012:other:x")
		}), "ValidationException", "publicCertificateSecretArn"},
		{"container provider type", create(func(in *emrcontainers.CreateSecurityConfigurationInput) { in.ContainerProvider.Type = "ECS" }),
			"ValidationException", "containerProvider.type"},
		{"describe unknown", func() error {
			_, err := c.DescribeSecurityConfiguration(ctx, &emrcontainers.DescribeSecurityConfigurationInput{Id: aws.String("nope")})
			return err
		}, "ResourceNotFoundException", "nope"},
		{"describe bad id", func() error {
			_, err := c.DescribeSecurityConfiguration(ctx, &emrcontainers.DescribeSecurityConfigurationInput{Id: aws.String("N-O")})
			return err
		}, "ValidationException", "securityConfigurationId"},
		{"list with a bad token", func() error {
			_, err := c.ListSecurityConfigurations(ctx, &emrcontainers.ListSecurityConfigurationsInput{NextToken: aws.String("garbage")})
			return err
		}, "ValidationException", "nextToken"},
	})
	if code, msg := rawCall(t, "POST", s.URL+"/securityconfigurations", `{"name":"n","clientToken":"t"}`, nil); code != 400 ||
		!strings.Contains(msg, "securityConfigurationData") {
		t.Errorf("no data: %d %s", code, msg)
	}
	if code, msg := rawCall(t, "POST", s.URL+"/securityconfigurations",
		`{"name":"n","clientToken":"t","securityConfigurationData":{"authenticationConfiguration":{"identityCenterConfiguration":{"identityCenterInstanceARN":"arn:aws:sso:::instance/x"}}}}`, nil); code != 400 ||
		!strings.Contains(msg, "identityCenterInstanceARN") {
		t.Errorf("bad identity center instance: %d %s", code, msg)
	}
}
