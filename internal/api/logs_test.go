package api_test

import (
	"bytes"
	"context"
	"encoding/json"
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
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// fakeLogs serves the logs in its map by stream, and records what it was asked.
type fakeLogs struct {
	logs  map[string]string
	asked []string
}

func (f *fakeLogs) Open(_ context.Context, run *emr.JobRun, stream string) (io.ReadCloser, error) {
	f.asked = append(f.asked, run.ID+"/"+stream)
	s, ok := f.logs[stream]
	if !ok {
		return nil, fmt.Errorf("%s: %w", stream, runtime.ErrLogNotFound)
	}
	return io.NopCloser(strings.NewReader(s)), nil
}

// logServer serves a store with one PENDING run; it returns the run's logs
// path without the stream.
func logServer(t *testing.T, logs api.LogSource) (*httptest.Server, string) {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv := httptest.NewServer(api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Logs: logs, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	vc := postJSON(t, srv.URL+"/virtualclusters", `{"name":"logs","clientToken":"t1",
		"containerProvider":{"id":"local","type":"EKS","info":{"eksInfo":{"namespace":"default"}}}}`)
	run := postJSON(t, srv.URL+"/virtualclusters/"+vc+"/jobruns", `{"name":"pi","clientToken":"t2",
		"executionRoleArn":"arn:aws:iam::123456789012:role/emr-job","releaseLabel":"emr-7.2.0-latest",
		"jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///usr/lib/spark/examples/src/main/python/pi.py"}}}`)
	return srv, srv.URL + "/sparkplane/v1/virtualclusters/" + vc + "/jobruns/" + run + "/logs/"
}

// postJSON posts body and returns the id of what it created.
func postJSON(t *testing.T, url, body string) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var out struct{ ID string }
	if resp.StatusCode != http.StatusOK || json.Unmarshal(b, &out) != nil || out.ID == "" {
		t.Fatalf("POST %s: %s: %s", url, resp.Status, b)
	}
	return out.ID
}

// The logs endpoint's wire: the stream's text with the run's state in a
// header, ValidationException for an unknown stream, and
// ResourceNotFoundException saying the run has no such log yet.
func TestJobRunLog(t *testing.T) {
	logs := &fakeLogs{logs: map[string]string{"stdout": "Pi is roughly 3.14\n"}}
	srv, base := logServer(t, logs)

	code, h, body := get(t, base+"stdout")
	if code != http.StatusOK || string(body) != "Pi is roughly 3.14\n" {
		t.Errorf("stdout: %d %q", code, body)
	}
	if got := h.Get("X-Sparkplane-Job-Run-State"); got != "PENDING" {
		t.Errorf("X-Sparkplane-Job-Run-State %q, want PENDING", got)
	}
	if got := h.Get("Content-Type"); got != "text/plain; charset=utf-8" {
		t.Errorf("Content-Type %q", got)
	}

	code, h, body = get(t, base+"stderr")
	run := strings.Split(strings.TrimSuffix(base, "/logs/"), "/")
	id := run[len(run)-1]
	if code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" ||
		!bytes.Contains(body, []byte("Job run "+id+" has no stderr yet (it is PENDING).")) {
		t.Errorf("stderr: %d %s %s", code, h.Get("X-Amzn-ErrorType"), body)
	}

	code, h, body = get(t, base+"pid")
	if code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ValidationException" || !bytes.Contains(body, []byte(`Log stream \"pid\" does not exist`)) {
		t.Errorf("unknown stream: %d %s %s", code, h.Get("X-Amzn-ErrorType"), body)
	}
	if want := []string{id + "/stdout", id + "/stderr"}; fmt.Sprint(logs.asked) != fmt.Sprint(want) {
		t.Errorf("the source was asked for %v, want %v", logs.asked, want)
	}

	code, h, _ = get(t, srv.URL+"/sparkplane/v1/virtualclusters/nosuch/jobruns/0000000000000000001/logs/stdout")
	if code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" {
		t.Errorf("unknown run: %d %s", code, h.Get("X-Amzn-ErrorType"))
	}
}

// A server without a log source has no logs.
func TestJobRunLogWithoutSource(t *testing.T) {
	_, base := logServer(t, nil)
	code, h, body := get(t, base+"stdout")
	if code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ResourceNotFoundException" || !bytes.Contains(body, []byte("has no stdout yet")) {
		t.Errorf("stdout: %d %s %s", code, h.Get("X-Amzn-ErrorType"), body)
	}
}

// TestContainerMustBeAPodName: ?container= names a pod; anything else (a
// path, a NUL, 5,000 characters) is a ValidationException naming the
// field, and never reaches the log source nor is echoed back.
func TestContainerMustBeAPodName(t *testing.T) {
	logs := &fakeLogs{}
	_, base := logServer(t, logs)
	for _, c := range []string{"../../../etc/passwd", "%00", "Driver", "-x", strings.Repeat("a", 254), strings.Repeat("a", 5000)} {
		resp, err := http.Get(base + "stdout?container=" + c)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest || !bytes.Contains(body, []byte("ValidationException")) ||
			!bytes.Contains(body, []byte("container:")) || len(body) > 400 {
			t.Errorf("container %.40q: %d %.200s", c, resp.StatusCode, body)
		}
	}
	if len(logs.asked) != 0 {
		t.Errorf("log source asked %v", logs.asked)
	}
}
