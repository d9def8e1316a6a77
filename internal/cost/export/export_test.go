package export

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
)

const gib = 1 << 30

// pricing: r = 8, m5.2xlarge 0.032/vCPU-h + 0.004/GiB-h; uplift on.
const pricingYAML = `
currency: USD
spotFraction: 0.4
fallback: {perVCPUHour: 0.04, perGiBHour: 0.005}
uplift: {enabled: true, perVCPUHour: 0.01012, perGBHour: 0.00111125}
instances:
  m5.2xlarge: {vcpu: 8, memoryGiB: 32, onDemand: 0.384}
`

func at(hh int) time.Time { return time.Date(2026, 7, 1, hh, 0, 0, 0, time.UTC) }

// report is grouped by virtual cluster, team and day over 07-01 and 07-02:
//
//	vc-a/data/2026-07-01  driver 1 vCPU 4 GiB on n1 10:00-12:00: 0.064 + 0.032, uplift (0.01012 + 4×0.00111125)×2 = 0.02913
//	vc-a/data/2026-07-01  executor 4 vCPU 16 GiB on n1 10:00-12:00, used 2 vCPU 8 GiB: 0.256 + 0.128, uplift 0.11652
//	vc-b/-/2026-07-02     driver 2 vCPU 2 GiB, unknown node type, 01:00-02:00: 0.08 + 0.01, uplift 2×0.01012 + 2×0.00111125 = 0.0224625
//	idle n1 10:00-14:00: 1.536 - 0.48 = 1.056
func report(t *testing.T) *cost.Report {
	t.Helper()
	p, err := cost.ParsePricing([]byte(pricingYAML))
	if err != nil {
		t.Fatal(err)
	}
	team := map[string]string{"team": "data"}
	usage := []cost.Usage{
		{JobRunID: "r1", VirtualClusterID: "vc-a", VirtualClusterTags: team, Component: cost.ComponentDriver, Node: "n1",
			InstanceType: "m5.2xlarge", Request: cost.Resources{CPU: 1, Memory: 4 * gib}, Start: at(10), End: at(12)},
		{JobRunID: "r1", VirtualClusterID: "vc-a", VirtualClusterTags: team, Component: cost.ComponentExecutor, Node: "n1",
			InstanceType: "m5.2xlarge", Request: cost.Resources{CPU: 4, Memory: 16 * gib}, Used: &cost.Resources{CPU: 2, Memory: 8 * gib},
			Start: at(10), End: at(12)},
		{JobRunID: "r2", VirtualClusterID: "vc-b", Component: cost.ComponentDriver, Node: "n9", InstanceType: "x9.huge",
			Request: cost.Resources{CPU: 2, Memory: 2 * gib}, Start: at(25), End: at(26)},
	}
	nodes := []cost.Node{{Name: "n1", InstanceType: "m5.2xlarge", Start: at(10), End: at(14)}}
	groupBy, err := cost.ParseGroupBy("virtualCluster,tag:team,day")
	if err != nil {
		t.Fatal(err)
	}
	q := cost.Query{From: at(0), To: at(48), GroupBy: groupBy, Idle: true}
	rep, err := cost.Aggregate(q, p, at(48), nodes, func(yield func(cost.Usage, error) bool) {
		for _, u := range usage {
			if !yield(u, nil) {
				return
			}
		}
	})
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func checkTable(t *testing.T, got *Table, rep *cost.Report) {
	t.Helper()
	if !reflect.DeepEqual(got.GroupBy, rep.GroupBy) || got.Currency != rep.Currency || !got.From.Equal(rep.From) || !got.To.Equal(rep.To) {
		t.Errorf("read back group by %v currency %q window %v-%v", got.GroupBy, got.Currency, got.From, got.To)
	}
	if !reflect.DeepEqual(got.Rows, rep.Rows) {
		t.Errorf("rows read back differ:\n got %+v\nwant %+v", got.Rows, rep.Rows)
	}
}

func TestCSVRoundTrip(t *testing.T) {
	rep := report(t)
	var b bytes.Buffer
	if err := WriteCSV(&b, rep); err != nil {
		t.Fatal(err)
	}
	wantHead := "virtual_cluster_id,tag_team,day,kind,records,cpu_core_hours,memory_gib_hours,cpu_cost,memory_cost,uplift_cost,total_cost,cpu_efficiency,memory_efficiency,total_efficiency,flags,currency,window_start,window_end\n" +
		"vc-a,data,2026-07-01,allocation,2,10,40,0.32,0.16,0.14565,0.62565,0.5,0.5,0.5,,USD,2026-07-01T00:00:00Z,2026-07-03T00:00:00Z\n"
	if !strings.HasPrefix(b.String(), wantHead) {
		t.Errorf("csv:\n%s\nwant it to start with\n%s", b.String(), wantHead)
	}
	got, err := ReadCSV(&b)
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, got, rep)
}

func TestParquetRoundTrip(t *testing.T) {
	rep := report(t)
	var b bytes.Buffer
	if err := WriteParquet(&b, rep); err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(b.Bytes(), []byte("PAR1")) || !bytes.HasSuffix(b.Bytes(), []byte("PAR1")) {
		t.Fatal("not a Parquet file")
	}
	got, err := ReadParquet(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	checkTable(t, got, rep)
}

func TestReadErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"virtual_cluster_id,kind\n",
		"colour," + strings.Join(metricColumns, ",") + "\n",
		"virtual_cluster_id," + strings.Join(metricColumns, ",") + "\nvc,allocation,x,0,0,0,0,0,0,,,,,USD,2026-07-01T00:00:00Z,2026-07-02T00:00:00Z\n",
		"virtual_cluster_id," + strings.Join(metricColumns, ",") + "\nvc,alloc,1,0,0,0,0,0,0,,,,,USD,2026-07-01T00:00:00Z,2026-07-02T00:00:00Z\n",
		"virtual_cluster_id," + strings.Join(metricColumns, ",") + "\nvc,idle,1,0,0,0,0,0,0,,,,bogus,USD,2026-07-01T00:00:00Z,2026-07-02T00:00:00Z\n",
	} {
		if _, err := ReadCSV(strings.NewReader(in)); err == nil {
			t.Errorf("ReadCSV(%q): no error", in)
		}
	}
	if _, err := ReadParquet(bytes.NewReader([]byte("PAR1nope")), 8); err == nil {
		t.Error("ReadParquet of garbage: no error")
	}
}

func TestJSON(t *testing.T) {
	rep := report(t)
	var b bytes.Buffer
	if err := WriteJSON(&b, rep); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Currency string
		From     time.Time
		GroupBy  []string
		Records  int64
		Rows     []map[string]any
		Idle     map[string]any
		Total    map[string]any
	}
	if err := json.Unmarshal(b.Bytes(), &got); err != nil {
		t.Fatal(err)
	}
	if got.Currency != "USD" || !got.From.Equal(at(0)) || strings.Join(got.GroupBy, ",") != "virtualCluster,tag:team,day" || got.Records != 3 || len(got.Rows) != 3 {
		t.Fatalf("json: %s", b.String())
	}
	first, second := got.Rows[0], got.Rows[1]
	if g := first["group"].(map[string]any); g["virtualCluster"] != "vc-a" || g["tag:team"] != "data" || g["day"] != "2026-07-01" {
		t.Errorf("group %v", g)
	}
	if first["kind"] != "allocation" || first["cpuEfficiency"] != 0.5 || second["cpuEfficiency"] != nil {
		t.Errorf("rows %v %v", first, second)
	}
	if f := second["flags"].([]any); len(f) != 1 || f[0] != "fallback-price" {
		t.Errorf("flags %v", f)
	}
	// 0.48 + 0.09 + 0.14565 + 0.0224625 + idle 1.056 = 1.7941125
	if d := got.Total["totalCost"].(float64) - 1.7941125; d > 1e-12 || d < -1e-12 || got.Total["kind"] != "total" || got.Idle["kind"] != "idle" {
		t.Errorf("total %v idle %v", got.Total, got.Idle)
	}
}

func TestWriteTable(t *testing.T) {
	var b bytes.Buffer
	if err := WriteTable(&b, report(t), TableOptions{}); err != nil {
		t.Fatal(err)
	}
	want := `VIRTUALCLUSTER  TAG:TEAM         DAY         RECORDS  VCPU-H  GIB-H  CPU USD  MEMORY USD  UPLIFT USD  COST USD  CPU EFF  MEM EFF  FLAGS
vc-a            data             2026-07-01        2    10.0   40.0   0.3200      0.1600      0.1457    0.6257      50%      50%
vc-b            __unallocated__  2026-07-02        1     2.0    2.0   0.0800      0.0100      0.0225    0.1125        -        -  fallback-price
__idle__        __idle__         2026-07-01        1    22.0   88.0   0.7040      0.3520      0.0000    1.0560        -        -
------------------------------------------------------------------------------------------------------------------------------------------------
allocated                                          3    12.0   42.0   0.4000      0.1700      0.1681    0.7381      50%      50%  fallback-price
idle                                               1    22.0   88.0   0.7040      0.3520      0.0000    1.0560        -        -
total                                              3    34.0  130.0   1.1040      0.5220      0.1681    1.7941      50%      50%  fallback-price
`
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}
