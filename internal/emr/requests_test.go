package emr_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// MustBeValidation fails unless err is an *emr.Error with code
// ValidationException whose message names every field (as 'field').
// With no fields, err must be nil.
func MustBeValidation(tb testing.TB, err error, fields ...string) {
	tb.Helper()
	if len(fields) == 0 {
		if err != nil {
			tb.Fatalf("Validate() = %v, want nil", err)
		}
		return
	}
	var e *emr.Error
	if !errors.As(err, &e) {
		tb.Fatalf("Validate() = %v (%T), want *emr.Error", err, err)
	}
	if e.Code != emr.CodeValidation {
		tb.Errorf("Code = %s, want %s", e.Code, emr.CodeValidation)
	}
	for _, f := range fields {
		if !strings.Contains(e.Message, "'"+f+"'") {
			tb.Errorf("message %q does not name field '%s'", e.Message, f)
		}
	}
	want := fmt.Sprintf("%d validation errors detected: ", len(fields))
	if len(fields) == 1 {
		want = "1 validation error detected: "
	}
	if !strings.HasPrefix(e.Message, want) {
		tb.Errorf("message %q, want it to start with %q", e.Message, want)
	}
}

func validCreateVirtualCluster() *emr.CreateVirtualClusterRequest {
	return &emr.CreateVirtualClusterRequest{
		Name:        "analytics",
		ClientToken: "5c1c6b2e-0c4e-4a3b-9d8e-1f2a3b4c5d6e",
		ContainerProvider: &emr.ContainerProvider{
			Type: "EKS",
			ID:   "prod-cluster_1",
			Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "spark-jobs"}},
		},
	}
}

func tagsN(n int) map[string]string {
	m := make(map[string]string, n)
	for i := range n {
		m[fmt.Sprintf("k%d", i)] = "v"
	}
	return m
}

func TestCreateVirtualClusterRequestValidate(t *testing.T) {
	t.Parallel()
	type req = emr.CreateVirtualClusterRequest
	tests := []struct {
		name   string
		mutate func(r *req)
		fields []string // the fields at fault; none for a valid request
	}{
		{"minimal", func(*req) {}, nil},
		{"everything", func(r *req) {
			r.Name = "a.b-c_d/e#F9"
			r.Tags = tagsN(50)
			r.Tags["empty"] = ""
			delete(r.Tags, "k0")
			r.SecurityConfigurationID = "b05e9sj03vp81ed2115jau5hi"
			r.ContainerProvider.Info.EKSInfo.NodeLabel = "spark-nodes"
		}, nil},
		{"empty tags", func(r *req) { r.Tags = map[string]string{} }, nil},
		{"name 64", func(r *req) { r.Name = strings.Repeat("n", 64) }, nil},

		{"name missing", func(r *req) { r.Name = "" }, []string{"name"}},
		{"name too long", func(r *req) { r.Name = strings.Repeat("n", 65) }, []string{"name"}},
		{"name pattern", func(r *req) { r.Name = "my cluster" }, []string{"name"}},
		{"clientToken missing", func(r *req) { r.ClientToken = "" }, []string{"clientToken"}},
		{"clientToken too long", func(r *req) { r.ClientToken = strings.Repeat("t", 65) }, []string{"clientToken"}},
		{"clientToken blank", func(r *req) { r.ClientToken = " \t " }, []string{"clientToken"}},
		{"too many tags", func(r *req) { r.Tags = tagsN(51) }, []string{"tags"}},
		{"tag key empty", func(r *req) { r.Tags = map[string]string{"": "v"} }, []string{"tags.key"}},
		{"tag key blank", func(r *req) { r.Tags = map[string]string{"  ": "v"} }, []string{"tags.key"}},
		{"tag key too long", func(r *req) { r.Tags = map[string]string{strings.Repeat("k", 129): "v"} }, []string{"tags.key"}},
		{"tag value too long", func(r *req) { r.Tags = map[string]string{"team": strings.Repeat("v", 257)} }, []string{"tags.team"}},
		{"securityConfigurationId pattern", func(r *req) { r.SecurityConfigurationID = "ABC" }, []string{"securityConfigurationId"}},
		{"securityConfigurationId too long", func(r *req) { r.SecurityConfigurationID = strings.Repeat("a", 65) }, []string{"securityConfigurationId"}},
		{"containerProvider missing", func(r *req) { r.ContainerProvider = nil }, []string{"containerProvider"}},
		{"type missing", func(r *req) { r.ContainerProvider.Type = "" }, []string{"containerProvider.type"}},
		{"type enum", func(r *req) { r.ContainerProvider.Type = "eks" }, []string{"containerProvider.type"}},
		{"id missing", func(r *req) { r.ContainerProvider.ID = "" }, []string{"containerProvider.id"}},
		{"id pattern", func(r *req) { r.ContainerProvider.ID = "-cluster" }, []string{"containerProvider.id"}},
		{"id too long", func(r *req) { r.ContainerProvider.ID = strings.Repeat("c", 101) }, []string{"containerProvider.id"}},
		{"info missing", func(r *req) { r.ContainerProvider.Info = nil }, []string{"containerProvider.info.eksInfo.namespace"}},
		{"eksInfo missing", func(r *req) { r.ContainerProvider.Info.EKSInfo = nil }, []string{"containerProvider.info.eksInfo.namespace"}},
		{"namespace pattern", func(r *req) { r.ContainerProvider.Info.EKSInfo.Namespace = "Spark" }, []string{"containerProvider.info.eksInfo.namespace"}},
		{"namespace trailing dash", func(r *req) { r.ContainerProvider.Info.EKSInfo.Namespace = "spark-" }, []string{"containerProvider.info.eksInfo.namespace"}},
		{"namespace too long", func(r *req) { r.ContainerProvider.Info.EKSInfo.Namespace = strings.Repeat("a", 64) }, []string{"containerProvider.info.eksInfo.namespace"}},
		{"nodeLabel pattern", func(r *req) { r.ContainerProvider.Info.EKSInfo.NodeLabel = "role=spark" }, []string{"containerProvider.info.eksInfo.nodeLabel"}},
		{"nodeLabel too long", func(r *req) { r.ContainerProvider.Info.EKSInfo.NodeLabel = strings.Repeat("a", 65) }, []string{"containerProvider.info.eksInfo.nodeLabel"}},
		{"every error is reported", func(r *req) {
			r.Name, r.ClientToken, r.ContainerProvider.Type = "", "", "GKE"
		}, []string{"name", "clientToken", "containerProvider.type"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			r := validCreateVirtualCluster()
			tc.mutate(r)
			MustBeValidation(t, r.Validate(), tc.fields...)
		})
	}
}

// Several bad tags are reported in the same order on every call.
func TestValidateMessageIsDeterministic(t *testing.T) {
	t.Parallel()
	r := validCreateVirtualCluster()
	r.Tags = map[string]string{}
	for i := range 20 {
		r.Tags[fmt.Sprintf("k%02d", i)] = strings.Repeat("v", 300)
	}
	first := r.Validate().Error()
	for range 20 {
		if got := r.Validate().Error(); got != first {
			t.Fatalf("message changed between calls:\n%s\n%s", first, got)
		}
	}
}

func TestCheckIDAndName(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name  string
		check func(string, string) error
		in    string
		ok    bool
	}{
		{"id ok", emr.CheckID, "jk518skp01ys9ka8b0npx9nt0", true},
		{"id empty", emr.CheckID, "", false},
		{"id upper", emr.CheckID, "ABC", false},
		{"id 64", emr.CheckID, strings.Repeat("a", 64), true},
		{"id 65", emr.CheckID, strings.Repeat("a", 65), false},
		{"name ok", emr.CheckName, "a.b-c_d/e#F9", true},
		{"name space", emr.CheckName, "a b", false},
		{"name empty", emr.CheckName, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := tc.check("virtualClusterId", tc.in)
			if tc.ok {
				MustBeValidation(t, err)
			} else {
				MustBeValidation(t, err, "virtualClusterId")
			}
		})
	}
}
