package api_test

import (
	"net/http"
	"strconv"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
)

// eventsOf returns the job run ids and the cursor of an events answer.
func eventsOf(t *testing.T, out map[string]any) ([]string, string) {
	t.Helper()
	evs, ok := out["events"].([]any)
	if !ok {
		t.Fatalf("answer %v has no events", out)
	}
	var ids []string
	for _, e := range evs {
		ev := e.(map[string]any)
		if ev["detail-type"] != "EMR Job Run State Change" || ev["source"] != "aws.emr-containers" {
			t.Fatalf("event %v", ev)
		}
		ids = append(ids, ev["detail"].(map[string]any)["id"].(string))
	}
	cursor, _ := out["cursor"].(float64)
	return ids, strconv.FormatInt(int64(cursor), 10)
}

// A caller sees the events of the runs of the virtual clusters whose runs
// it may describe, and waits for the next.
func TestJobRunEventsVisibility(t *testing.T) {
	admin := &headerAuth{verdict: func(api.Request) api.Verdict { return api.Allowed }}
	srv := newAuthzServer(t, admin, &auditLog{})
	newVC := func(ns string) string {
		_, vc := callAs(t, srv, "admin", "POST", "/virtualclusters", `{"name":"`+ns+`","clientToken":"`+ns+`","containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"`+ns+`"}}}}`)
		return vc["id"].(string)
	}
	start := func(vc, token string) string {
		_, run := callAs(t, srv, "admin", "POST", "/virtualclusters/"+vc+"/jobruns",
			`{"name":"r","clientToken":"`+token+`","executionRoleArn":"arn:aws:iam::123456789012:role/R","releaseLabel":"emr-7.2.0-latest","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py"}}}`)
		return run["id"].(string)
	}
	vcA := newVC("a")
	vcB := newVC("b")
	runA := start(vcA, "1")
	start(vcB, "2")
	// Every caller may do all but describe runs, which alice may only in a.
	admin.verdict = func(req api.Request) api.Verdict {
		if req.Action != "emr-containers:DescribeJobRun" || req.Resource == vcARN+vcA+"/jobruns/*" {
			return api.Allowed
		}
		return api.ImplicitDeny
	}

	status, out := callAs(t, srv, "alice", "GET", "/sparkplane/v1/events?after=0&wait=0", "")
	ids, cursor := eventsOf(t, out)
	if status != http.StatusOK || len(ids) != 1 || ids[0] != runA {
		t.Fatalf("alice's events: %d %v; want the PENDING of %s alone", status, out, runA)
	}
	if status, out := callAs(t, srv, "alice", "GET", "/sparkplane/v1/events?wait=0&virtualClusterId="+vcB, ""); status != http.StatusForbidden {
		t.Fatalf("alice asking for b's events: %d %v; want 403", status, out)
	}

	// A call that waits gets the next event as soon as it is written.
	done := make(chan map[string]any)
	go func() {
		_, out := callAs(t, srv, "alice", "GET", "/sparkplane/v1/events?wait=30&after="+cursor, "")
		done <- out
	}()
	start(vcB, "3") // not hers
	next := start(vcA, "4")
	if ids, _ := eventsOf(t, <-done); len(ids) != 1 || ids[0] != next {
		t.Fatalf("alice's next events: %v; want the PENDING of %s", ids, next)
	}

	// From now: nothing yet.
	if status, out := callAs(t, srv, "alice", "GET", "/sparkplane/v1/events?wait=0", ""); status != http.StatusOK || len(out["events"].([]any)) != 0 {
		t.Fatalf("events from now: %d %v; want none", status, out)
	}
	for _, q := range []string{"after=-1", "after=x", "wait=61", "limit=0", "limit=1001", "virtualClusterId=a%20b", "since=1"} {
		status, out := callAs(t, srv, "alice", "GET", "/sparkplane/v1/events?"+q, "")
		if status != http.StatusBadRequest || out["__type"] != "ValidationException" {
			t.Errorf("?%s: %d %v; want 400 ValidationException", q, status, out)
		}
	}
}
