package emr_test

import (
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func validCreateSecurityConfiguration() *emr.CreateSecurityConfigurationRequest {
	yes := true
	return &emr.CreateSecurityConfigurationRequest{
		ClientToken: "t",
		Name:        "lake-formation",
		ContainerProvider: &emr.ContainerProvider{Type: "EKS", ID: "prod",
			Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "system"}}},
		Tags: map[string]string{"team": "security"},
		SecurityConfigurationData: &emr.SecurityConfigurationData{
			AuthorizationConfiguration: &emr.AuthorizationConfiguration{
				LakeFormationConfiguration: &emr.LakeFormationConfiguration{
					AuthorizedSessionTagValue: "EMR on EKS Engine",
					SecureNamespaceInfo:       &emr.SecureNamespaceInfo{ClusterID: "prod", Namespace: "system"},
					QueryEngineRoleARN:        "arn:aws:iam::123456789012:role/QueryEngine",
				},
				EncryptionConfiguration: &emr.EncryptionConfiguration{InTransitEncryptionConfiguration: &emr.InTransitEncryptionConfiguration{
					TLSCertificateConfiguration: &emr.TLSCertificateConfiguration{CertificateProviderType: "PEM",
						PublicCertificateSecretARN:  "arn:aws:secretsmanager:us-east-1:123456789012:secret:pub-AbCd",
						PrivateCertificateSecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:priv/key+1"}}},
			},
			AuthenticationConfiguration: &emr.AuthenticationConfiguration{
				IdentityCenterConfiguration: &emr.IdentityCenterConfiguration{EnableIdentityCenter: &yes,
					IdentityCenterInstanceARN:       "arn:aws:sso:::instance/ssoins-1234abcd",
					EmrIdentityCenterApplicationARN: "arn:aws:sso:::application/ssoins-1234abcd/apl-5678"},
				IAMConfiguration: &emr.IAMConfiguration{SystemRole: "arn:aws:iam::123456789012:role/System"},
			},
		},
	}
}

func TestCreateSecurityConfigurationRequestValidate(t *testing.T) {
	t.Parallel()
	type req = emr.CreateSecurityConfigurationRequest
	const (
		az  = "securityConfigurationData.authorizationConfiguration"
		lf  = az + ".lakeFormationConfiguration"
		tls = az + ".encryptionConfiguration.inTransitEncryptionConfiguration.tlsCertificateConfiguration"
		an  = "securityConfigurationData.authenticationConfiguration"
	)
	d := func(r *req) *emr.SecurityConfigurationData { return r.SecurityConfigurationData }
	for _, tc := range []struct {
		name   string
		mutate func(*req)
		fields []string
	}{
		{"everything", func(*req) {}, nil},
		{"empty data", func(r *req) { r.SecurityConfigurationData = &emr.SecurityConfigurationData{} }, nil},
		{"no container provider", func(r *req) { r.ContainerProvider = nil }, nil},
		{"container provider without info", func(r *req) { r.ContainerProvider.Info = nil }, nil},
		{"data missing", func(r *req) { r.SecurityConfigurationData = nil }, []string{"securityConfigurationData"}},
		{"name missing", func(r *req) { r.Name = "" }, []string{"name"}},
		{"clientToken missing", func(r *req) { r.ClientToken = "" }, []string{"clientToken"}},
		{"too many tags", func(r *req) { r.Tags = tagsN(51) }, []string{"tags"}},
		{"provider type", func(r *req) { r.ContainerProvider.Type = "ECS" }, []string{"containerProvider.type"}},
		{"provider id", func(r *req) { r.ContainerProvider.ID = "-x" }, []string{"containerProvider.id"}},
		{"provider namespace", func(r *req) { r.ContainerProvider.Info.EKSInfo.Namespace = "NS" }, []string{"containerProvider.info.eksInfo.namespace"}},
		{"session tag", func(r *req) {
			d(r).AuthorizationConfiguration.LakeFormationConfiguration.AuthorizedSessionTagValue = "a:b"
		},
			[]string{lf + ".authorizedSessionTagValue"}},
		{"secure namespace", func(r *req) {
			d(r).AuthorizationConfiguration.LakeFormationConfiguration.SecureNamespaceInfo = &emr.SecureNamespaceInfo{ClusterID: "_x", Namespace: "a_b"}
		}, []string{lf + ".secureNamespaceInfo.clusterId", lf + ".secureNamespaceInfo.namespace"}},
		{"query engine role", func(r *req) {
			d(r).AuthorizationConfiguration.LakeFormationConfiguration.QueryEngineRoleARN = "arn:aws:iam::123456789012:user/u"
		},
			[]string{lf + ".queryEngineRoleArn"}},
		{"certificate provider", func(r *req) {
			d(r).AuthorizationConfiguration.EncryptionConfiguration.InTransitEncryptionConfiguration.TLSCertificateConfiguration.CertificateProviderType = "DER"
		}, []string{tls + ".certificateProviderType"}},
		{"secret ARNs", func(r *req) {
			c := d(r).AuthorizationConfiguration.EncryptionConfiguration.InTransitEncryptionConfiguration.TLSCertificateConfiguration
			c.PublicCertificateSecretARN, c.PrivateCertificateSecretARN = "arn:aws:s3:::bucket", "arn:aws:secretsmanager:us-east-1:1:secret:x"
		}, []string{tls + ".publicCertificateSecretArn", tls + ".privateCertificateSecretArn"}},
		{"identity center instance", func(r *req) {
			d(r).AuthenticationConfiguration.IdentityCenterConfiguration.IdentityCenterInstanceARN = "arn:aws:sso:::instance/x"
		}, []string{an + ".identityCenterConfiguration.identityCenterInstanceARN"}},
		{"identity center application", func(r *req) {
			d(r).AuthenticationConfiguration.IdentityCenterConfiguration.EmrIdentityCenterApplicationARN = "arn:aws:sso:::application/apl-1"
		}, []string{an + ".identityCenterConfiguration.emrIdentityCenterApplicationARN"}},
		{"system role", func(r *req) { d(r).AuthenticationConfiguration.IAMConfiguration.SystemRole = strings.Repeat("r", 30) },
			[]string{an + ".iamConfiguration.systemRole"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := validCreateSecurityConfiguration()
			tc.mutate(r)
			MustBeValidation(t, r.Validate(), tc.fields...)
		})
	}
}
