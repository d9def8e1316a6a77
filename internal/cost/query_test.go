package cost

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParseWindow(t *testing.T) {
	now := time.Date(2026, 7, 15, 13, 30, 0, 0, time.UTC) // a Wednesday
	d := func(m time.Month, day int) time.Time { return time.Date(2026, m, day, 0, 0, 0, 0, time.UTC) }
	for _, tc := range []struct {
		in       string
		from, to time.Time
	}{
		{"today", d(7, 15), now},
		{"yesterday", d(7, 14), d(7, 15)},
		{"week", d(7, 12), now}, // Sunday 12 July
		{"lastweek", d(7, 5), d(7, 12)},
		{"month", d(7, 1), now},
		{"lastmonth", d(6, 1), d(7, 1)},
		{"30m", now.Add(-30 * time.Minute), now},
		{"12h", now.Add(-12 * time.Hour), now},
		{"7d", now.AddDate(0, 0, -7), now},
		{"2w", now.AddDate(0, 0, -14), now},
		{"2026-07-01T00:00:00Z,2026-07-08T00:00:00Z", d(7, 1), d(7, 8)},
		{"2026-07-01T02:00:00+02:00, 2026-07-08", d(7, 1), d(7, 8)},
		{"1782864000,1783468800", d(7, 1), d(7, 8)},
	} {
		from, to, err := ParseWindow(tc.in, now)
		if err != nil || !from.Equal(tc.from) || !to.Equal(tc.to) {
			t.Errorf("ParseWindow(%q) = %v, %v, %v; want %v, %v", tc.in, from, to, err, tc.from, tc.to)
		}
	}
}

func TestParseWindowErrors(t *testing.T) {
	now := time.Date(2026, 7, 15, 13, 30, 0, 0, time.UTC)
	for _, in := range []string{
		"", "fortnight", "7y", "-7d", "2026-07-08,2026-07-01", "2026-07-01,2026-07-01", "2026-07-01",
		"2026-07-01,soon", "yesterday,today", "9999999w", "2026-07-01,2046-07-01",
	} {
		_, _, err := ParseWindow(in, now)
		qe, ok := errors.AsType[*QueryError](err)
		if !ok || qe.Param != "window" || qe.Value != in {
			t.Errorf("ParseWindow(%q): %v, want a window *QueryError", in, err)
		}
	}
}

func TestParseGroupBy(t *testing.T) {
	dims, err := ParseGroupBy("virtualCluster, tag:team,day")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, d := range dims {
		names = append(names, d.String())
	}
	if got := strings.Join(names, ","); got != "virtualCluster,tag:team,day" {
		t.Errorf("got %s", got)
	}
	for _, in := range []string{"team", "tag:", "day,day", "virtualCluster,", "tag", "jobrun"} {
		_, err := ParseGroupBy(in)
		if qe, ok := errors.AsType[*QueryError](err); !ok || qe.Param != "groupBy" {
			t.Errorf("ParseGroupBy(%q): %v, want a groupBy *QueryError", in, err)
		}
	}
}

func TestParseFilter(t *testing.T) {
	f, err := ParseFilter("tag:team=data|ml")
	if err != nil || f.Dimension != (Dimension{Kind: DimTag, Tag: "team"}) || strings.Join(f.Values, ",") != "data,ml" {
		t.Errorf("got %+v, %v", f, err)
	}
	for _, in := range []string{"team", "tag:team=", "day=2026-07-01", "colour=red"} {
		_, err := ParseFilter(in)
		if qe, ok := errors.AsType[*QueryError](err); !ok || qe.Param != "filter" {
			t.Errorf("ParseFilter(%q): %v, want a filter *QueryError", in, err)
		}
	}
}

func TestQueryValidate(t *testing.T) {
	from, to := at(0, 0), at(24, 0)
	for _, tc := range []struct {
		name  string
		q     Query
		param string
	}{
		{"no window", Query{}, "window"},
		{"reversed", Query{From: to, To: from}, "window"},
		{"too long", Query{From: from, To: from.Add(MaxWindow + time.Hour)}, "window"},
		{"unknown grouping", Query{From: from, To: to, GroupBy: []Dimension{{Kind: 99}}}, "groupBy"},
		{"tag without key", Query{From: from, To: to, GroupBy: []Dimension{{Kind: DimTag}}}, "groupBy"},
		{"filter without values", Query{From: from, To: to, Filters: []Filter{{Dimension: Dimension{Kind: DimNode}}}}, "filter"},
	} {
		err := tc.q.Validate()
		if qe, ok := errors.AsType[*QueryError](err); !ok || qe.Param != tc.param {
			t.Errorf("%s: %v, want a %s *QueryError", tc.name, err, tc.param)
		}
	}
}
