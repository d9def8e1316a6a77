package export

import (
	"fmt"
	"strings"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// FromJSON turns the JSON form of a report back into a report, so a client
// of the API can render it (WriteTable) or write it as a file.
func FromJSON(j *JSONReport) (*cost.Report, error) {
	rep := &cost.Report{Currency: j.Currency, From: j.From, To: j.To, Records: j.Records,
		GroupBy: make([]cost.Dimension, len(j.GroupBy)), Rows: make([]cost.Row, len(j.Rows))}
	for i, name := range j.GroupBy {
		d, err := cost.ParseDimension(name)
		if err != nil {
			return nil, fmt.Errorf("report groupBy: %w", err)
		}
		rep.GroupBy[i] = d
	}
	for i := range j.Rows {
		row, err := fromJSONRow(j, &j.Rows[i], true)
		if err != nil {
			return nil, fmt.Errorf("report row %d: %w", i, err)
		}
		rep.Rows[i] = row
	}
	for _, t := range []struct {
		dst *cost.Row
		src *JSONRow
	}{{&rep.Allocated, &j.Allocated}, {&rep.Idle, &j.Idle}, {&rep.Total, &j.Total}} {
		row, err := fromJSONRow(j, t.src, false)
		if err != nil {
			return nil, fmt.Errorf("report totals: %w", err)
		}
		*t.dst = row
	}
	return rep, nil
}

func fromJSONRow(rep *JSONReport, j *JSONRow, keyed bool) (cost.Row, error) {
	flags, err := cost.ParseFlags(strings.Join(j.Flags, ","))
	if err != nil {
		return cost.Row{}, err
	}
	r := cost.Row{Records: j.Records, CPUCoreHours: j.CPUCoreHours, MemoryGiBHours: j.MemoryGiBHours,
		CPUCost: j.CPUCost, MemoryCost: j.MemoryCost, UpliftCost: j.UpliftCost, Cost: j.TotalCost,
		CPUEfficiency: j.CPUEfficiency, MemoryEfficiency: j.MemoryEfficiency, Efficiency: j.TotalEfficiency, Flags: flags}
	if !keyed {
		r.Idle = j.Kind == kindIdle
		return r, nil
	}
	if r.Idle, err = parseKind(j.Kind); err != nil {
		return cost.Row{}, err
	}
	r.Key = make([]string, len(rep.GroupBy))
	for i, name := range rep.GroupBy {
		v, ok := j.Group[name]
		if !ok {
			return cost.Row{}, fmt.Errorf("no value of %s", name)
		}
		r.Key[i] = v
	}
	return r, nil
}
