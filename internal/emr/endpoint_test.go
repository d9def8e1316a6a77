package emr_test

import (
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

func TestCreateManagedEndpointRequestValidate(t *testing.T) {
	t.Parallel()
	type req = emr.CreateManagedEndpointRequest
	valid := func() *req {
		idle := 60
		return &req{Name: "studio", Type: "JUPYTER_ENTERPRISE_GATEWAY", ReleaseLabel: "emr-6.15.0-latest",
			ExecutionRoleARN: "arn:aws:iam::123456789012:role/Studio", ClientToken: "t",
			CertificateARN:              "arn:aws:acm:us-east-1:123456789012:certificate/abcd",
			SessionIdleTimeoutInMinutes: &idle, Tags: map[string]string{"a": "b"},
			ConfigurationOverrides: &emr.ConfigurationOverrides{ApplicationConfiguration: []emr.Configuration{{Classification: "spark-defaults"}}}}
	}
	zero := 0
	for _, tc := range []struct {
		name   string
		mutate func(*req)
		fields []string
	}{
		{"everything", func(*req) {}, nil},
		{"bare", func(r *req) {
			r.CertificateARN, r.SessionIdleTimeoutInMinutes, r.Tags, r.ConfigurationOverrides = "", nil, nil, nil
		}, nil},
		{"nothing", func(r *req) { *r = req{} }, []string{"name", "type", "releaseLabel", "executionRoleArn", "clientToken"}},
		{"type blank", func(r *req) { r.Type = " " }, []string{"type"}},
		{"release label", func(r *req) { r.ReleaseLabel = "emr 6" }, []string{"releaseLabel"}},
		{"role", func(r *req) { r.ExecutionRoleARN = "arn:aws:iam::123456789012:group/g" }, []string{"executionRoleArn"}},
		{"certificate", func(r *req) { r.CertificateARN = "arn:aws:acm:us-east-1:123456789012:cert/abcdefghijkl" }, []string{"certificateArn"}},
		{"overrides", func(r *req) { r.ConfigurationOverrides.ApplicationConfiguration[0].Classification = "" },
			[]string{"configurationOverrides.applicationConfiguration.1.classification"}},
		{"idle timeout", func(r *req) { r.SessionIdleTimeoutInMinutes = &zero }, []string{"sessionIdleTimeoutInMinutes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			tc.mutate(r)
			MustBeValidation(t, r.Validate(), tc.fields...)
		})
	}
}

func TestGetManagedEndpointSessionCredentialsRequestValidate(t *testing.T) {
	t.Parallel()
	type req = emr.GetManagedEndpointSessionCredentialsRequest
	n := func(v int) *int { return &v }
	valid := func() *req {
		return &req{ExecutionRoleARN: "arn:aws:iam::123456789012:role/Studio", CredentialType: "TOKEN", DurationInSeconds: n(900), LogContext: "my.notebook-1"}
	}
	for _, tc := range []struct {
		name   string
		mutate func(*req)
		fields []string
	}{
		{"valid", func(*req) {}, nil},
		{"nothing", func(r *req) { *r = req{} }, []string{"executionRoleArn", "credentialType"}},
		{"duration 0", func(r *req) { r.DurationInSeconds = n(0) }, []string{"durationInSeconds"}},
		{"duration 12h+1s", func(r *req) { r.DurationInSeconds = n(43201) }, []string{"durationInSeconds"}},
		{"log context short", func(r *req) { r.LogContext = "ab" }, []string{"logContext"}},
		{"log context upper", func(r *req) { r.LogContext = "Abc" }, []string{"logContext"}},
		{"log context s3alias", func(r *req) { r.LogContext = "my-s3alias" }, []string{"logContext"}},
		{"log context xn--", func(r *req) { r.LogContext = "xn--abc" }, []string{"logContext"}},
		{"client token", func(r *req) { r.ClientToken = strings.Repeat("t", 65) }, []string{"clientToken"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := valid()
			tc.mutate(r)
			MustBeValidation(t, r.Validate(), tc.fields...)
		})
	}
	MustBeValidation(t, emr.CheckIdentifier("endpointId", " "), "endpointId")
	MustBeValidation(t, emr.CheckIdentifier("endpointId", "arn:aws:whatever"))
}
