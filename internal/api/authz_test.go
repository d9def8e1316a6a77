package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// headerAuth authenticates the caller named by the X-Test-Caller header and
// answers its authorization questions with verdict, recording them.
type headerAuth struct {
	mu      sync.Mutex
	verdict func(api.Request) api.Verdict
	asked   []api.Request
}

func (a *headerAuth) Authenticate(r *http.Request, body []byte) (*api.Caller, error) {
	name := r.Header.Get("X-Test-Caller")
	if name == "" {
		return nil, &emr.Error{Code: emr.CodeAccessDenied, Message: "no caller"}
	}
	return &api.Caller{ARN: "arn:aws:iam::123456789012:user/" + name, Type: "IAMUser", UserName: name, UserID: "AIDA" + name,
		Evaluate: func(req api.Request) api.Verdict {
			a.mu.Lock()
			defer a.mu.Unlock()
			a.asked = append(a.asked, req)
			return a.verdict(req)
		}}, nil
}

type auditLog struct {
	mu     sync.Mutex
	events []*api.AuditEvent
}

func (l *auditLog) Record(ev *api.AuditEvent) {
	l.mu.Lock()
	l.events = append(l.events, ev)
	l.mu.Unlock()
}

func newAuthzServer(t *testing.T, auth *headerAuth, audit *auditLog) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Auth: auth, Audit: audit, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv
}

func callAs(t *testing.T, srv *httptest.Server, caller, method, path, body string) (int, map[string]any) {
	t.Helper()
	req, _ := http.NewRequest(method, srv.URL+path, strings.NewReader(body))
	req.Header.Set("X-Test-Caller", caller)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out map[string]any
	_ = json.NewDecoder(bytes.NewReader(b)).Decode(&out)
	return resp.StatusCode, out
}

const vcARN = "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/"

// TestEveryOperationIsAuthorized: a caller no policy allows anything gets
// AccessDeniedException (403) from every operation, in IAM's words, each
// naming its action and resource, and nothing is created; each refusal is
// audited.
func TestEveryOperationIsAuthorized(t *testing.T) {
	admin := &headerAuth{verdict: func(api.Request) api.Verdict { return api.Allowed }}
	audit := &auditLog{}
	srv := newAuthzServer(t, admin, audit)
	_, vc := callAs(t, srv, "admin", "POST", "/virtualclusters", `{"name":"a","clientToken":"t1","containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"a"}}}}`)
	vcID, _ := vc["id"].(string)
	if vcID == "" {
		t.Fatalf("create virtual cluster: %v", vc)
	}
	if len(audit.events) != 1 || audit.events[0].EventName != "CreateVirtualCluster" || audit.events[0].UserIdentity.ARN != "arn:aws:iam::123456789012:user/admin" {
		t.Fatalf("audit of the creation: %+v", audit.events)
	}
	run := `{"name":"r","clientToken":"t2","executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py"}}}`
	_, started := callAs(t, srv, "admin", "POST", "/virtualclusters/"+vcID+"/jobruns", run)
	runID, _ := started["id"].(string)
	if runID == "" {
		t.Fatalf("start job run: %v", started)
	}
	admin.verdict = func(api.Request) api.Verdict { return api.ImplicitDeny }
	runARN := vcARN + vcID + "/jobruns/" + runID
	for _, c := range []struct{ method, path, body, action, resource string }{
		{"POST", "/virtualclusters", `{"name":"b","clientToken":"t3","containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"b"}}}}`, "CreateVirtualCluster", "*"},
		{"GET", "/virtualclusters", "", "ListVirtualClusters", "*"},
		{"GET", "/virtualclusters/" + vcID, "", "DescribeVirtualCluster", vcARN + vcID},
		{"DELETE", "/virtualclusters/" + vcID, "", "DeleteVirtualCluster", vcARN + vcID},
		{"PATCH", "/virtualclusters/" + vcID, `{"clientToken":"t9","schedulerConfiguration":{"maxConcurrentJobRuns":1}}`, "UpdateVirtualCluster", vcARN + vcID},
		{"POST", "/virtualclusters/" + vcID + "/jobruns", strings.Replace(run, "t2", "t4", 1), "StartJobRun", vcARN + vcID},
		{"GET", "/virtualclusters/" + vcID + "/jobruns", "", "ListJobRuns", vcARN + vcID},
		{"GET", "/virtualclusters/" + vcID + "/jobruns/" + runID, "", "DescribeJobRun", runARN},
		{"DELETE", "/virtualclusters/" + vcID + "/jobruns/" + runID, "", "CancelJobRun", runARN},
		{"GET", "/virtualclusters/nosuchvc/jobruns/" + runID, "", "DescribeJobRun", vcARN + "nosuchvc/jobruns/" + runID},
		{"POST", "/jobtemplates", `{"name":"t","clientToken":"t5","jobTemplateData":{"executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py"}}}}`, "CreateJobTemplate", "*"},
		{"GET", "/jobtemplates", "", "ListJobTemplates", "*"},
		{"GET", "/jobtemplates/abc", "", "DescribeJobTemplate", "arn:aws:emr-containers:us-east-1:123456789012:/jobtemplates/abc"},
		{"DELETE", "/jobtemplates/abc", "", "DeleteJobTemplate", "arn:aws:emr-containers:us-east-1:123456789012:/jobtemplates/abc"},
		{"POST", "/securityconfigurations", `{"name":"s","clientToken":"t6","securityConfigurationData":{"authorizationConfiguration":{"encryptionConfiguration":{"inTransitEncryptionConfiguration":{"tlsCertificateConfiguration":{"certificateProviderType":"PEM","publicCertificateSecretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:a","privateCertificateSecretArn":"arn:aws:secretsmanager:us-east-1:123456789012:secret:b"}}}}}}`, "CreateSecurityConfiguration", "*"},
		{"GET", "/securityconfigurations", "", "ListSecurityConfigurations", "*"},
		{"GET", "/securityconfigurations/abc", "", "DescribeSecurityConfiguration", "arn:aws:emr-containers:us-east-1:123456789012:/securityconfigurations/abc"},
		{"DELETE", "/securityconfigurations/abc", "", "DeleteSecurityConfiguration", "arn:aws:emr-containers:us-east-1:123456789012:/securityconfigurations/abc"},
		{"POST", "/virtualclusters/" + vcID + "/endpoints", `{"name":"e","clientToken":"t7","type":"JUPYTER_ENTERPRISE_GATEWAY","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/R","certificateArn":"arn:aws:acm:us-east-1:123456789012:certificate/abcdefghijkl"}`, "CreateManagedEndpoint", vcARN + vcID},
		{"GET", "/virtualclusters/" + vcID + "/endpoints", "", "ListManagedEndpoints", vcARN + vcID},
		{"GET", "/virtualclusters/" + vcID + "/endpoints/abc", "", "DescribeManagedEndpoint", vcARN + vcID + "/endpoints/abc"},
		{"DELETE", "/virtualclusters/" + vcID + "/endpoints/abc", "", "DeleteManagedEndpoint", vcARN + vcID + "/endpoints/abc"},
		{"POST", "/virtualclusters/" + vcID + "/endpoints/abc/credentials", `{"executionRoleArn":"arn:aws:iam::123456789012:role/R","credentialType":"TOKEN","clientToken":"t8"}`, "GetManagedEndpointSessionCredentials", vcARN + vcID + "/endpoints/abc"},
		{"POST", "/tags/" + url.PathEscape(vcARN+vcID), `{"tags":{"a":"b"}}`, "TagResource", vcARN + vcID},
		{"DELETE", "/tags/" + url.PathEscape(vcARN+vcID) + "?tagKeys=a", "", "UntagResource", vcARN + vcID},
		{"GET", "/tags/" + url.PathEscape(vcARN+vcID), "", "ListTagsForResource", vcARN + vcID},
		{"GET", "/sparkplane/v1/virtualclusters/" + vcID + "/jobruns/" + runID + "/logs/stdout", "", "GetJobRunLogs", runARN},
		{"GET", "/sparkplane/v1/virtualclusters/" + vcID + "/jobruns/" + runID + "/logs/stdout?container=x", "", "GetJobRunLogs", runARN},
		{"GET", "/sparkplane/v1/virtualclusters/" + vcID + "/jobruns/" + runID + "/containers", "", "GetJobRunLogs", runARN},
		{"GET", "/sparkplane/v1/virtualclusters/" + vcID + "/jobruns/" + runID + "/ui", "", "GetJobRunUI", runARN},
		{"GET", "/sparkplane/v1/cost", "", "GetCostReport", vcARN + "*"},
		{"GET", "/sparkplane/v1/cost?filter=virtualCluster=" + vcID, "", "GetCostReport", vcARN + vcID},
	} {
		audit.events = nil
		status, out := callAs(t, srv, "mallory", c.method, c.path, c.body)
		want := "User: arn:aws:iam::123456789012:user/mallory is not authorized to perform: emr-containers:" + c.action + " on resource: " + c.resource + " because no identity-based policy allows"
		if status != http.StatusForbidden || out["__type"] != "AccessDeniedException" || !strings.HasPrefix(out["message"].(string), want) {
			t.Errorf("%s %s: %d %v; want 403 AccessDeniedException %q", c.method, c.path, status, out, want)
		}
		if len(audit.events) != 1 || audit.events[0].ErrorCode != "AccessDeniedException" || audit.events[0].EventName != c.action {
			t.Errorf("%s %s: audit %+v; want one AccessDeniedException record", c.method, c.path, audit.events)
		}
	}
	// The state-change events of runs are theirs to see who may DescribeJobRun them.
	for path, resource := range map[string]string{
		"/sparkplane/v1/events?wait=0":                          vcARN + "*/jobruns/*",
		"/sparkplane/v1/events?wait=0&virtualClusterId=" + vcID: vcARN + vcID + "/jobruns/*",
	} {
		audit.events = nil
		status, out := callAs(t, srv, "mallory", "GET", path, "")
		want := "User: arn:aws:iam::123456789012:user/mallory is not authorized to perform: emr-containers:DescribeJobRun on resource: " + resource + " because"
		if msg, _ := out["message"].(string); status != http.StatusForbidden || !strings.HasPrefix(msg, want) {
			t.Errorf("GET %s: %d %v; want 403 %q", path, status, out, want)
		}
		if len(audit.events) != 1 || audit.events[0].ErrorCode != "AccessDeniedException" || audit.events[0].EventName != "GetJobRunEvents" {
			t.Errorf("GET %s: audit %+v; want one AccessDeniedException record", path, audit.events)
		}
	}
	// Nothing was created or changed by the refused calls.
	admin.verdict = func(api.Request) api.Verdict { return api.Allowed }
	_, vcs := callAs(t, srv, "admin", "GET", "/virtualclusters", "")
	if n := len(vcs["virtualClusters"].([]any)); n != 1 {
		t.Errorf("%d virtual clusters after refused calls; want 1", n)
	}
	_, runs := callAs(t, srv, "admin", "GET", "/virtualclusters/"+vcID+"/jobruns", "")
	if rs := runs["jobRuns"].([]any); len(rs) != 1 || rs[0].(map[string]any)["state"] != "PENDING" {
		t.Errorf("runs after refused calls: %v; want the one PENDING run", rs)
	}
}
