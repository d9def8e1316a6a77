package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

type nop struct{}

func (nop) Enqueue(string, string) {}

// FuzzAPI sends arbitrary bodies and paths to every operation: the answer
// is a 200 or a modeled 4xx error, never a 500 or a panic.
func FuzzAPI(f *testing.F) {
	st, err := sqlite.Open(context.Background(), filepath.Join(f.TempDir(), "db"))
	if err != nil {
		f.Fatal(err)
	}
	defer st.Close()
	vc := &emr.VirtualCluster{ID: "vc", Name: "vc", State: emr.VirtualClusterRunning,
		ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: "local", Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "ns"}}}}
	if _, err := st.CreateVirtualCluster(context.Background(), vc, store.Idempotency{}); err != nil {
		f.Fatal(err)
	}
	h := api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})

	f.Add("POST", "/virtualclusters/vc/jobruns", `{"clientToken":"t","releaseLabel":"emr-7.2.0-latest","executionRoleArn":"arn:aws:iam::123456789012:role/r","jobDriver":{"sparkSubmitJobDriver":{"entryPoint":"local:///a.py","sparkSubmitParameters":"--conf a=b"}}}`)
	f.Add("POST", "/virtualclusters", `{"name":"n","clientToken":"t","containerProvider":{"type":"EKS","id":"local","info":{"eksInfo":{"namespace":"x"}}}}`)
	f.Add("GET", "/virtualclusters/vc/jobruns?states=RUNNING&maxResults=2&nextToken=abc", "")
	f.Add("GET", "/virtualclusters?createdAfter=2024-01-01T00:00:00Z", "")
	f.Add("DELETE", "/virtualclusters/vc/jobruns/0000000000000000001", "")
	f.Add("POST", "/virtualclusters/vc/jobruns", `{"configurationOverrides":{"applicationConfiguration":[{"classification":"spark-defaults","configurations":[{}]}]}}`)
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if !strings.HasPrefix(path, "/") || strings.ContainsAny(path, " \t\r\n#") {
			return
		}
		req, err := http.NewRequest(method, path, strings.NewReader(body))
		if err != nil {
			return
		}
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code >= 500 {
			t.Fatalf("%s %s %q: %d %s", method, path, body, rec.Code, rec.Body)
		}
		if rec.Code != 200 && rec.Header().Get("X-Amzn-ErrorType") == "" && !strings.Contains(path, "/logs/") {
			t.Fatalf("%s %s: %d without an error type", method, path, rec.Code)
		}
	})
}
