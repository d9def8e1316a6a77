package api_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/iam"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// policyAuth authenticates the caller named by the X-Test-Caller header and
// decides its requests with the IAM policy documents listed for it.
type policyAuth map[string][]*iam.Policy

func newPolicyAuth(t *testing.T, docs map[string][]string) policyAuth {
	t.Helper()
	a := policyAuth{}
	for name, ds := range docs {
		for _, d := range ds {
			p, err := iam.ParsePolicy([]byte(d))
			if err != nil {
				t.Fatalf("policy %s: %v", d, err)
			}
			a[name] = append(a[name], p)
		}
	}
	return a
}

func (a policyAuth) Authenticate(r *http.Request, _ []byte) (*api.Caller, error) {
	name := r.Header.Get("X-Test-Caller")
	pols, ok := a[name]
	if !ok {
		return nil, &emr.Error{Code: emr.CodeUnrecognizedClient, Message: "no such caller"}
	}
	return &api.Caller{ARN: "arn:aws:iam::123456789012:user/" + name, Type: "IAMUser", UserName: name, UserID: "AIDA" + name,
		Evaluate: func(req api.Request) api.Verdict {
			switch iam.Evaluate(pols, iam.Request{Action: req.Action, Resource: req.Resource, Context: req.Context}) {
			case iam.Allow:
				return api.Allowed
			case iam.ExplicitDeny:
				return api.ExplicitDeny
			}
			return api.ImplicitDeny
		}}, nil
}

const allowEverything = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["emr-containers:*","iam:PassRole"],"Resource":"*"}]}`

// newPolicyServer is newAuthzServer with callers decided by policies.
func newPolicyServer(t *testing.T, auth policyAuth) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Auth: auth, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	return srv
}

// createVCAs creates a virtual cluster in namespace ns with tags (JSON) as caller.
func createVCAs(t *testing.T, srv *httptest.Server, caller, ns, tags string) string {
	t.Helper()
	_, vc := callAs(t, srv, caller, "POST", "/virtualclusters", `{"name":"a","clientToken":"`+ns+`","tags":`+tags+`,"containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"`+ns+`"}}}}`)
	id, _ := vc["id"].(string)
	if id == "" {
		t.Fatalf("create virtual cluster: %v", vc)
	}
	return id
}

// TestStartJobRunFromTemplateSeesTemplateTags: StartJobRun with a
// jobTemplateId is authorized on the template with the template's tags as
// aws:ResourceTag (StartJobRun's jobTemplate resource type takes it), so a
// Deny on tagged templates holds.
func TestStartJobRunFromTemplateSeesTemplateTags(t *testing.T) {
	srv := newPolicyServer(t, newPolicyAuth(t, map[string][]string{
		"admin": {allowEverything},
		"mallory": {allowEverything, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"emr-containers:StartJobRun",
		  "Resource":"arn:aws:emr-containers:*:*:/jobtemplates/*","Condition":{"StringEquals":{"aws:ResourceTag/restricted":"true"}}}]}`},
	}))
	vcID := createVCAs(t, srv, "admin", "a", "{}")
	_, tmpl := callAs(t, srv, "admin", "POST", "/jobtemplates", `{"name":"t","clientToken":"t2","tags":{"restricted":"true"},"jobTemplateData":{"executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py"}}}}`)
	tmplID, _ := tmpl["id"].(string)
	if tmplID == "" {
		t.Fatalf("create job template: %v", tmpl)
	}
	status, out := callAs(t, srv, "mallory", "POST", "/virtualclusters/"+vcID+"/jobruns", `{"name":"r","clientToken":"t3","jobTemplateId":"`+tmplID+`"}`)
	if status != http.StatusForbidden || out["__type"] != "AccessDeniedException" {
		t.Fatalf("StartJobRun from a template that a Deny on its tags covers: %d %v; want 403 AccessDeniedException", status, out)
	}
	if status, out := callAs(t, srv, "admin", "POST", "/virtualclusters/"+vcID+"/jobruns", `{"name":"r","clientToken":"t4","jobTemplateId":"`+tmplID+`"}`); status != http.StatusOK {
		t.Fatalf("StartJobRun from the template by admin: %d %v", status, out)
	}
	if status, out := callAs(t, srv, "mallory", "POST", "/virtualclusters/"+vcID+"/jobruns", `{"name":"r","clientToken":"t5","jobTemplateId":"nosuchtemplate"}`); status != http.StatusBadRequest || out["__type"] != "ResourceNotFoundException" {
		t.Fatalf("StartJobRun from a template that does not exist: %d %v; want ResourceNotFoundException", status, out)
	}
}

// TestCostReportSeesVirtualClusterTags: GetCostReport is authorized on each
// virtual cluster reported on with its tags as aws:ResourceTag, so a Deny
// on tagged virtual clusters holds, and an Allow on tagged ones (the
// README's team policy) lets a team read its own costs.
func TestCostReportSeesVirtualClusterTags(t *testing.T) {
	srv := newPolicyServer(t, newPolicyAuth(t, map[string][]string{
		"admin": {allowEverything},
		"mallory": {allowEverything, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"emr-containers:GetCostReport",
		  "Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/confidential":"true"}}}]}`},
		"ana": {`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"emr-containers:*",
		  "Resource":"arn:aws:emr-containers:*:123456789012:/virtualclusters/*","Condition":{"StringEquals":{"aws:ResourceTag/team":"analytics"}}}]}`},
	}))
	secret := createVCAs(t, srv, "admin", "a", `{"confidential":"true"}`)
	analytics := createVCAs(t, srv, "admin", "b", `{"team":"analytics"}`)
	if status, out := callAs(t, srv, "mallory", "GET", "/sparkplane/v1/cost?filter=virtualCluster="+secret, ""); status != http.StatusForbidden || out["__type"] != "AccessDeniedException" {
		t.Errorf("cost report of a virtual cluster that a Deny on its tags covers: %d %v; want 403 AccessDeniedException", status, out)
	}
	if status, out := callAs(t, srv, "ana", "GET", "/sparkplane/v1/cost?filter=virtualCluster="+analytics, ""); status != http.StatusOK {
		t.Errorf("cost report of the team's own virtual cluster: %d %v; want 200", status, out)
	}
	if status, out := callAs(t, srv, "ana", "GET", "/sparkplane/v1/cost?filter=virtualCluster="+analytics+"|"+secret, ""); status != http.StatusForbidden {
		t.Errorf("cost report of the team's and another virtual cluster: %d %v; want 403", status, out)
	}
}

// TestAuditRecordsAreBounded: what an audit record keeps of a request is
// bounded whatever the request carries, so that a caller (even one that
// cannot authenticate) cannot turn each request of up to the body cap
// into an audit line as large, filling the disk the audit log is on.
func TestAuditRecordsAreBounded(t *testing.T) {
	audit := &auditLog{}
	srv := newAuthzServer(t, &headerAuth{verdict: func(api.Request) api.Verdict { return api.Allowed }}, audit)
	big := strings.Repeat("A", 300<<10)
	var tags strings.Builder
	for i := range 10000 {
		fmt.Fprintf(&tags, `"k%05d":"",`, i)
	}
	body := `{"name":"` + big + `","clientToken":"` + big + `","containerProvider":{"id":"` + big + `"},"tags":{` + strings.TrimSuffix(tags.String(), ",") + `}}`
	req, _ := http.NewRequest("POST", srv.URL+"/virtualclusters", strings.NewReader(body))
	req.Header.Set("User-Agent", strings.Repeat("U", 32<<10))
	resp, err := http.DefaultClient.Do(req) // no X-Test-Caller: not authenticated
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden || len(audit.events) != 1 {
		t.Fatalf("unauthenticated call: HTTP %d, %d audit records; want 403 and one record", resp.StatusCode, len(audit.events))
	}
	b, _ := json.Marshal(audit.events[0])
	if len(b) > 16<<10 {
		t.Errorf("the audit record of a %d-byte request is %d bytes; want at most 16 KiB", len(body), len(b))
	}
}

// flakyStore fails reads of virtual clusters (a database hiccup) while
// every other call works.
type flakyStore struct{ store.Store }

func (flakyStore) GetVirtualCluster(context.Context, string) (*emr.VirtualCluster, error) {
	return nil, errors.New("database is locked")
}

// TestTagReadFailureDoesNotSkipADeny: when the tags a decision needs cannot
// be read, the call fails rather than being decided without them, which
// would skip a Deny on those tags.
func TestTagReadFailureDoesNotSkipADeny(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	auth := newPolicyAuth(t, map[string][]string{
		"admin": {allowEverything},
		"mallory": {allowEverything, `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"emr-containers:*",
		  "Resource":"*","Condition":{"StringEquals":{"aws:ResourceTag/frozen":"true"}}}]}`},
	})
	opts := api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Auth: auth, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}
	good := httptest.NewServer(api.New(st, nop{}, opts))
	t.Cleanup(good.Close)
	vcID := createVCAs(t, good, "admin", "a", `{"frozen":"true"}`)
	flaky := httptest.NewServer(api.New(flakyStore{st}, nop{}, opts))
	t.Cleanup(flaky.Close)
	run := `{"name":"r","clientToken":"t2","executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py"}}}`
	if status, out := callAs(t, flaky, "mallory", "POST", "/virtualclusters/"+vcID+"/jobruns", run); status == http.StatusOK {
		t.Errorf("StartJobRun on a frozen virtual cluster whose tags could not be read: %d %v; want a failure", status, out)
	}
	if status, out := callAs(t, flaky, "mallory", "GET", "/virtualclusters/"+vcID+"/jobruns", ""); status == http.StatusOK {
		t.Errorf("ListJobRuns of a frozen virtual cluster whose tags could not be read: %d %v; want a failure", status, out)
	}
}

// TestAuditKeepsNoValidationMessage: a refused request's message is not
// audited when it may quote the request (a secret mistyped into the
// spark-submit parameters), only its error code.
func TestAuditKeepsNoValidationMessage(t *testing.T) {
	admin := &headerAuth{verdict: func(api.Request) api.Verdict { return api.Allowed }}
	audit := &auditLog{}
	srv := newAuthzServer(t, admin, audit)
	_, vc := callAs(t, srv, "admin", "POST", "/virtualclusters", `{"name":"a","clientToken":"t1","containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"a"}}}}`)
	audit.events = nil
	status, out := callAs(t, srv, "admin", "POST", "/virtualclusters/"+vc["id"].(string)+"/jobruns",
		`{"name":"r","clientToken":"t2","executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py","sparkSubmitParameters":"--conf spark.password= hunter2"}}}`)
	if status != http.StatusBadRequest {
		t.Fatalf("status %d %v; want a ValidationException", status, out)
	}
	if !strings.Contains(out["message"].(string), "hunter2") {
		t.Fatalf("the message %q does not quote the parameters: this test checks nothing", out["message"])
	}
	if len(audit.events) != 1 || audit.events[0].ErrorCode != "ValidationException" || strings.Contains(audit.events[0].ErrorMessage, "hunter2") {
		t.Errorf("audit %+v; want the error code without the message", audit.events)
	}
}
