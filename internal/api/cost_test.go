package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/cost/export"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// costDay is the day the fixture's pods ran.
var costDay = time.Date(2026, 5, 4, 0, 0, 0, 0, time.UTC)

// costServer serves a store holding two metered pods of one run on an
// unlisted host: a 2-core, 4 GiB local run of 30 minutes, and a 1-core,
// 1 GiB driver of 2 hours.
func costServer(t *testing.T) *httptest.Server {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for _, u := range []cost.Usage{
		{JobRunID: "run-a", VirtualClusterID: "vc-a", Attempt: 1, Pod: "spark-submit", Component: cost.ComponentLocal,
			Node: "host", Request: cost.Resources{CPU: 2, Memory: 4 << 30}, Start: costDay.Add(time.Hour), End: costDay.Add(90 * time.Minute)},
		{JobRunID: "run-b", VirtualClusterID: "vc-b", Attempt: 1, Pod: "driver", Component: cost.ComponentDriver,
			Node: "host", Request: cost.Resources{CPU: 1, Memory: 1 << 30}, Start: costDay.Add(2 * time.Hour), End: costDay.Add(4 * time.Hour)},
	} {
		if err := st.RecordUsage(context.Background(), u); err != nil {
			t.Fatal(err)
		}
	}
	h := api.New(st, nop{}, api.Options{Partition: emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
		Clusters: []string{"local"}, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Now: func() time.Time { return costDay.Add(24 * time.Hour) }})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, url string) (int, http.Header, []byte) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, resp.Header, body
}

// The report prices each run at the fallback prices, as computed by hand.
func TestCostReportJSON(t *testing.T) {
	srv := costServer(t)
	code, _, body := get(t, srv.URL+"/sparkplane/v1/cost?window=yesterday&groupBy=virtualCluster")
	if code != http.StatusOK {
		t.Fatalf("status %d: %s", code, body)
	}
	var rep export.JSONReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatalf("decode %s: %v", body, err)
	}
	// Fallback: 0.031611 $/vCPU-h, 0.004237 $/GiB-h.
	wantA := 2*0.5*0.031611 + 4*0.5*0.004237 // 0.031611 + 0.008474 = 0.040085
	wantB := 1*2*0.031611 + 1*2*0.004237     // 0.063222 + 0.008474 = 0.071696
	if len(rep.Rows) != 2 {
		t.Fatalf("rows = %+v, want 2", rep.Rows)
	}
	for i, want := range map[int]float64{0: wantA, 1: wantB} {
		row := rep.Rows[i]
		if math.Abs(row.TotalCost-want) > 1e-9 {
			t.Errorf("row %v cost = %v, want %v", row.Group, row.TotalCost, want)
		}
		if !strings.Contains(strings.Join(row.Flags, ","), "fallback") {
			t.Errorf("row %v flags = %v, want fallback-price", row.Group, row.Flags)
		}
	}
	if rep.Rows[0].Group["virtualCluster"] != "vc-a" {
		t.Errorf("first row = %v, want vc-a", rep.Rows[0].Group)
	}
	if math.Abs(rep.Total.TotalCost-(wantA+wantB)) > 1e-9 {
		t.Errorf("total = %v, want %v", rep.Total.TotalCost, wantA+wantB)
	}
}

// Bad parameters are 400 ValidationExceptions naming the parameter.
func TestCostReportBadQuery(t *testing.T) {
	srv := costServer(t)
	for _, tc := range []struct{ query, param string }{
		{"window=fortnight", "window"},
		{"window=2026-05-02,2026-05-01", "window"},
		{"groupBy=colour", "groupBy"},
		{"groupBy=day,day", "groupBy"},
		{"filter=team", "filter"},
		{"idle=maybe", "idle"},
		{"format=xlsx", "format"},
		{"windows=today", "windows"},
	} {
		code, h, body := get(t, srv.URL+"/sparkplane/v1/cost?"+tc.query)
		var e struct{ Message string }
		_ = json.Unmarshal(body, &e)
		if code != http.StatusBadRequest || h.Get("X-Amzn-ErrorType") != "ValidationException" || !strings.Contains(e.Message, tc.param) {
			t.Errorf("?%s: %d %s %s, want 400 ValidationException naming %s", tc.query, code, h.Get("X-Amzn-ErrorType"), body, tc.param)
		}
	}
}

// CSV and Parquet downloads read back to the JSON report's rows.
func TestCostReportDownloads(t *testing.T) {
	srv := costServer(t)
	q := "/sparkplane/v1/cost?window=yesterday&groupBy=jobRun,component"
	_, _, body := get(t, srv.URL+q)
	var rep export.JSONReport
	if err := json.Unmarshal(body, &rep); err != nil {
		t.Fatal(err)
	}
	code, h, csvBody := get(t, srv.URL+q+"&format=csv")
	if code != http.StatusOK || !strings.HasPrefix(h.Get("Content-Type"), "text/csv") {
		t.Fatalf("csv: %d %s", code, h.Get("Content-Type"))
	}
	fromCSV, err := export.ReadCSV(bytes.NewReader(csvBody))
	if err != nil {
		t.Fatalf("ReadCSV: %v", err)
	}
	code, _, pq := get(t, srv.URL+q+"&format=parquet")
	if code != http.StatusOK {
		t.Fatalf("parquet: %d %s", code, pq)
	}
	fromParquet, err := export.ReadParquet(bytes.NewReader(pq), int64(len(pq)))
	if err != nil {
		t.Fatalf("ReadParquet: %v", err)
	}
	for name, tab := range map[string]*export.Table{"csv": fromCSV, "parquet": fromParquet} {
		if len(tab.Rows) != len(rep.Rows) || len(rep.Rows) != 2 {
			t.Fatalf("%s: %d rows, JSON %d, want 2", name, len(tab.Rows), len(rep.Rows))
		}
		for i, row := range tab.Rows {
			if row.Cost != rep.Rows[i].TotalCost || row.Key[0] != rep.Rows[i].Group["jobRun"] {
				t.Errorf("%s row %d = %v %v, JSON %v %v", name, i, row.Key, row.Cost, rep.Rows[i].Group, rep.Rows[i].TotalCost)
			}
		}
	}
}
