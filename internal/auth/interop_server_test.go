package auth

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// testServer is a minimal emr-containers endpoint that authenticates every
// request with a Verifier and answers a few operations.
type testServer struct {
	*httptest.Server
	mu     sync.Mutex
	seen   []string // who called what: "<arn> <method> <escaped path>"
	offset time.Duration
}

func newTestServer(t *testing.T, offset time.Duration) *testServer {
	t.Helper()
	ts := &testServer{offset: offset}
	now := func() time.Time { return time.Now().Add(offset) }
	v, err := NewVerifier(VerifierOptions{Access: newTestAccess(t), Region: testRegion, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// The server's clock, which SDKs read to correct their skew.
		w.Header().Set("Date", now().UTC().Format(http.TimeFormat))
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		p, err := v.Verify(r, body)
		if err != nil {
			var e *emr.Error
			errors.As(err, &e)
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Amzn-Errortype", string(e.Code))
			w.WriteHeader(http.StatusForbidden)
			_ = json.NewEncoder(w).Encode(map[string]string{"message": e.Message})
			return
		}
		ts.mu.Lock()
		ts.seen = append(ts.seen, p.ARN+" "+r.Method+" "+r.URL.EscapedPath())
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == "GET" && r.URL.Path == "/virtualclusters":
			_, _ = io.WriteString(w, `{"virtualClusters":[]}`)
		case r.Method == "GET" && strings.HasPrefix(r.URL.Path, "/tags/"):
			_, _ = io.WriteString(w, `{"tags":{"team":"a"}}`)
		case r.Method == "POST" && strings.HasSuffix(r.URL.Path, "/jobruns"):
			_, _ = io.WriteString(w, `{"id":"jr01","name":"pi","virtualClusterId":"vc01"}`)
		default:
			w.WriteHeader(http.StatusNotFound)
			_, _ = io.WriteString(w, `{"message":"no such operation"}`)
		}
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *testServer) calls() []string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]string(nil), ts.seen...)
}

const testClusterARN = "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/vc01"
