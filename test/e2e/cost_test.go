package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/cost/export"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
)

// TestCostOfPi runs the quickstart's pi.py on the local runtime and reads
// its cost through the endpoint and the CLI: non-zero, flagged as priced at
// the fallback rates (the host has no instance type), and equal to the
// figure this test computes from the usage record the store keeps and the
// default fallback prices ($0.031611 per vCPU-hour, $0.004237 per
// GiB-hour).
func TestCostOfPi(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "cost", "default")
	in := piInput(vc)
	in.Tags = map[string]string{"team": "data"}
	started, err := s.Client.StartJobRun(context.Background(), in)
	if err != nil {
		t.Fatalf("StartJobRun: %v", err)
	}
	id := aws.ToString(started.Id)
	run, _ := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	if run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED", run.State, aws.ToString(run.StateDetails))
	}

	// The usage record, read from the store the server keeps.
	u := recordedUsage(t, s.DataDir, id)
	if u.Component != cost.ComponentLocal || u.End.IsZero() || u.Node == "" {
		t.Fatalf("usage record = %+v, want an ended local record with the host", u)
	}
	// piParams: 2 executors × 1 core → local[2]; spark.driver.memory unset → 1g.
	if u.Request.CPU != 2 || u.Request.Memory != 1<<30 {
		t.Errorf("metered %v cores and %d bytes, want 2 cores and 1 GiB", u.Request.CPU, u.Request.Memory)
	}
	hours := u.End.Sub(u.Start).Seconds() / 3600
	want := u.Request.CPU*hours*0.031611 + float64(u.Request.Memory)/(1<<30)*hours*0.004237
	if want <= 0 {
		t.Fatalf("recomputed cost %v from %+v: not positive", want, u)
	}
	window := u.Start.Add(-time.Hour).UTC().Format(time.RFC3339) + "," + u.End.Add(time.Hour).UTC().Format(time.RFC3339)

	// The endpoint.
	var rep export.JSONReport
	getJSON(t, s.URL+"/sparkplane/v1/cost?groupBy=tag:team,jobRun&window="+window, &rep)
	if len(rep.Rows) != 1 {
		t.Fatalf("report rows = %+v, want one", rep.Rows)
	}
	row := rep.Rows[0]
	if row.Group["jobRun"] != id || row.Group["tag:team"] != "data" {
		t.Errorf("row group = %v, want team data and run %s", row.Group, id)
	}
	if math.Abs(row.TotalCost-want) > 1e-9 || cents(row.TotalCost) != cents(want) {
		t.Errorf("endpoint: cost %v, recomputed %v", row.TotalCost, want)
	}
	if !strings.Contains(strings.Join(row.Flags, ","), "fallback-price") {
		t.Errorf("flags %v, want fallback-price", row.Flags)
	}
	t.Logf("pi.py: %.0f s × (2 vCPU, 1 GiB) = $%.6f", u.End.Sub(u.Start).Seconds(), want)

	// The CLI: the table shows the figure to 4 decimals.
	out, errOut, code := runCLI(t, "cost", "--endpoint-url", s.URL, "--window", window, "--group-by", "tag:team,jobRun")
	if code != 0 {
		t.Fatalf("sparkplane cost exited %d: %s", code, errOut)
	}
	figure := strconv.FormatFloat(want, 'f', 4, 64)
	if !strings.Contains(out, id) || !strings.Contains(out, figure) || !strings.Contains(out, "fallback-price") {
		t.Errorf("sparkplane cost output lacks the run, %s or the flag:\n%s", figure, out)
	}
	// … and writes CSV and Parquet files that read back to the same figure.
	dir := t.TempDir()
	for _, format := range []string{"csv", "parquet"} {
		file := filepath.Join(dir, "cost."+format)
		if _, errOut, code := runCLI(t, "cost", "--endpoint-url", s.URL, "--window", window, "--group-by", "jobRun", "--format", format, "-o", file); code != 0 {
			t.Fatalf("sparkplane cost --format %s exited %d: %s", format, code, errOut)
		}
		tab := readExport(t, file, format)
		if len(tab.Rows) != 1 || tab.Rows[0].Key[0] != id || math.Abs(tab.Rows[0].Cost-want) > 1e-9 {
			t.Errorf("%s file rows = %+v, want run %s at %v", format, tab.Rows, id, want)
		}
	}
	// A bad query is refused, naming the parameter.
	_, errOut, code = runCLI(t, "cost", "--endpoint-url", s.URL, "--group-by", "colour")
	if code == 0 || !strings.Contains(errOut, "ValidationException") || !strings.Contains(errOut, "groupBy") {
		t.Errorf("sparkplane cost --group-by colour: exit %d, %s; want a ValidationException naming groupBy", code, errOut)
	}
}

// recordedUsage reads the one usage record of run id from the server's store.
func recordedUsage(t *testing.T, dataDir, id string) cost.Usage {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(dataDir, "sparkplane.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	var found []cost.Usage
	for u, err := range st.Usage(context.Background(), time.Unix(0, 0), time.Now().Add(time.Hour)) {
		if err != nil {
			t.Fatal(err)
		}
		if u.JobRunID == id {
			found = append(found, u)
		}
	}
	if len(found) != 1 {
		t.Fatalf("usage records of %s = %+v, want one", id, found)
	}
	return found[0]
}

func getJSON(t *testing.T, url string, out any) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, body)
	}
	if err := json.Unmarshal(body, out); err != nil {
		t.Fatalf("GET %s: %v: %s", url, err, body)
	}
}

func readExport(t *testing.T, file, format string) *export.Table {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var tab *export.Table
	if format == "csv" {
		tab, err = export.ReadCSV(f)
	} else {
		fi, serr := f.Stat()
		if serr != nil {
			t.Fatal(serr)
		}
		tab, err = export.ReadParquet(f, fi.Size())
	}
	if err != nil {
		t.Fatalf("read %s: %v", file, err)
	}
	return tab
}

// cents is an amount rounded to the cent.
func cents(x float64) string { return fmt.Sprintf("%.2f", x) }

// A local run that ends while no server runs is metered up to its end
// when the next server finds it: the record the first server wrote at its
// start is closed at the time of its exit file.
func TestCostOfRunThatEndedWhileDown(t *testing.T) {
	dir := t.TempDir()
	t.Cleanup(func() { killRuns(dir) })
	s := startServer(t, dir)
	vc := createVC(t, s.Client, "cost-down", "default")
	app := writeApp(t, "sleep.py", `
from pyspark.sql import SparkSession
import time
spark = SparkSession.builder.getOrCreate()
time.sleep(3)
`)
	id := startJob(t, s.Client, vc, "down", "file://"+app, "")
	waitFor(t, s.Client, vc, id, 2*time.Minute, func(st types.JobRunState) bool { return st == types.JobRunStateRunning })
	if u := recordedUsage(t, dir, id); !u.End.IsZero() {
		t.Fatalf("while running: usage record ends at %v, want no end", u.End)
	}
	s.Stop()
	exitFile := filepath.Join(dir, "runs", vc, id, "exit")
	waitExit(t, exitFile)

	s2 := startServer(t, dir)
	if run, _ := waitFor(t, s2.Client, vc, id, time.Minute, terminal); run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s, want COMPLETED", run.State)
	}
	fi, err := os.Stat(exitFile)
	if err != nil {
		t.Fatal(err)
	}
	u := recordedUsage(t, dir, id)
	if want := fi.ModTime().UTC().Truncate(time.Millisecond); !u.End.Equal(want) {
		t.Errorf("usage record ends at %v, want the exit file's time %v", u.End, want)
	}
	if !u.Start.Before(u.End) {
		t.Errorf("usage record [%v, %v): empty", u.Start, u.End)
	}
}
