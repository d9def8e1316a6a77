package api_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// TestEveryAnswerHasARequestID: AWS operations and sparkplane's own
// endpoints alike carry x-amzn-RequestId, errors included.
func TestEveryAnswerHasARequestID(t *testing.T) {
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv := httptest.NewServer(api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	defer srv.Close()
	for _, path := range []string{
		"/virtualclusters",
		"/virtualclusters/nosuch",
		"/sparkplane/v1/virtualclusters/nosuch/jobruns/0000000000000000001/logs/stdout",
		"/sparkplane/v1/cost?window=nonsense",
	} {
		resp, err := http.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.Header.Get("x-amzn-RequestId") == "" {
			t.Errorf("GET %s (%d): no x-amzn-RequestId", path, resp.StatusCode)
		}
	}
}
