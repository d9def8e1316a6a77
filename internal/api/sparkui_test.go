package api_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// uiServer serves a store with one run, with ui as its SparkUI; it returns
// the run's ui path.
func uiServer(t *testing.T, ui api.SparkUI) string {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, SparkUI: ui, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	vc := postJSON(t, srv.URL+"/virtualclusters", `{"name":"ui","clientToken":"t1",
		"containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"default"}}}}`)
	run := postJSON(t, srv.URL+"/virtualclusters/"+vc+"/jobruns", `{"name":"pi","clientToken":"t2",
		"executionRoleArn":"arn:aws:iam::123456789012:role/emr-job","releaseLabel":"emr-7.2.0-latest",
		"jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///x.py"}}}`)
	return srv.URL + "/sparkplane/v1/virtualclusters/" + vc + "/jobruns/" + run + "/ui"
}

// The ui endpoint's wire: the SparkUI's answer as JSON for the run asked
// for; its *emr.Error as the AWS error; no SparkUI, a ValidationException;
// an unknown run, ResourceNotFoundException.
func TestJobRunUI(t *testing.T) {
	var asked string
	url := uiServer(t, func(_ context.Context, run *emr.JobRun) (any, error) {
		asked = run.ID
		if run.Name != "pi" {
			return nil, emr.Validationf("wrong run")
		}
		return map[string]string{"url": "http://127.0.0.1:18080/history/local-1/jobs/", "applicationId": "local-1"}, nil
	})
	code, h, body := get(t, url)
	var out struct{ URL, ApplicationID string }
	if code != http.StatusOK || h.Get("Content-Type") != "application/json" || json.Unmarshal(body, &out) != nil ||
		out.ApplicationID != "local-1" || !strings.HasSuffix(url, "/"+asked+"/ui") {
		t.Errorf("GET ui: %d %s %s (asked for %q)", code, h.Get("Content-Type"), body, asked)
	}
	code, h, body = get(t, strings.Replace(url, "/jobruns/"+asked, "/jobruns/0000000000000000000", 1))
	if code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("unknown run: %d %s %s", code, h.Get("X-Amzn-ErrorType"), body)
	}

	url = uiServer(t, func(context.Context, *emr.JobRun) (any, error) {
		return nil, emr.Validationf("Job run x has monitoringConfiguration.persistentAppUI DISABLED")
	})
	if code, h, body := get(t, url); code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ValidationException" || !strings.Contains(string(body), "DISABLED") {
		t.Errorf("a run without a UI: %d %s %s", code, h.Get("X-Amzn-ErrorType"), body)
	}
	url = uiServer(t, nil)
	if code, h, body := get(t, url); code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ValidationException" || !strings.Contains(string(body), "History Server") {
		t.Errorf("a server without a Spark UI: %d %s %s", code, h.Get("X-Amzn-ErrorType"), body)
	}
}
