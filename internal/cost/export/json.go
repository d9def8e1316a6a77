package export

import (
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// JSONReport is the JSON form of a report, for sparkplane's own API.
type JSONReport struct {
	Currency string    `json:"currency"`
	From     time.Time `json:"from"`
	To       time.Time `json:"to"`
	GroupBy  []string  `json:"groupBy"`
	Records  int64     `json:"records"`
	Rows     []JSONRow `json:"rows"`
	// Allocated, Idle and Total sum the allocation rows, the idle rows
	// and both.
	Allocated JSONRow `json:"allocated"`
	Idle      JSONRow `json:"idle"`
	Total     JSONRow `json:"total"`
}

// JSONRow is a row: its group's value of each dimension by name
// ({"virtualCluster": "…", "tag:team": "…"}), then its figures.
// Efficiencies are null when no usage was measured.
type JSONRow struct {
	Group            map[string]string `json:"group,omitempty"`
	Kind             string            `json:"kind"`
	Records          int64             `json:"records"`
	CPUCoreHours     float64           `json:"cpuCoreHours"`
	MemoryGiBHours   float64           `json:"memoryGiBHours"`
	CPUCost          float64           `json:"cpuCost"`
	MemoryCost       float64           `json:"memoryCost"`
	UpliftCost       float64           `json:"upliftCost"`
	TotalCost        float64           `json:"totalCost"`
	CPUEfficiency    *float64          `json:"cpuEfficiency"`
	MemoryEfficiency *float64          `json:"memoryEfficiency"`
	TotalEfficiency  *float64          `json:"totalEfficiency"`
	Flags            []string          `json:"flags"`
}

// ToJSON converts a report to its JSON form.
func ToJSON(rep *cost.Report) JSONReport {
	j := JSONReport{
		Currency: rep.Currency, From: rep.From.UTC(), To: rep.To.UTC(), Records: rep.Records,
		GroupBy: make([]string, len(rep.GroupBy)), Rows: make([]JSONRow, len(rep.Rows)),
		Allocated: jsonRow(rep, &rep.Allocated), Idle: jsonRow(rep, &rep.Idle), Total: jsonRow(rep, &rep.Total),
	}
	for i, d := range rep.GroupBy {
		j.GroupBy[i] = d.String()
	}
	for i := range rep.Rows {
		j.Rows[i] = jsonRow(rep, &rep.Rows[i])
	}
	j.Total.Kind = "total"
	return j
}

func jsonRow(rep *cost.Report, r *cost.Row) JSONRow {
	j := JSONRow{
		Kind: kindOf(r), Records: r.Records,
		CPUCoreHours: r.CPUCoreHours, MemoryGiBHours: r.MemoryGiBHours,
		CPUCost: r.CPUCost, MemoryCost: r.MemoryCost, UpliftCost: r.UpliftCost, TotalCost: r.Cost,
		CPUEfficiency: r.CPUEfficiency, MemoryEfficiency: r.MemoryEfficiency, TotalEfficiency: r.Efficiency,
		Flags: r.Flags.Names(),
	}
	if j.Flags == nil {
		j.Flags = []string{}
	}
	if r.Key != nil {
		j.Group = make(map[string]string, len(r.Key))
		for i, d := range rep.GroupBy {
			j.Group[d.String()] = r.Key[i]
		}
	}
	return j
}

// WriteJSON writes the report as indented JSON.
func WriteJSON(w io.Writer, rep *cost.Report) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(ToJSON(rep)); err != nil {
		return fmt.Errorf("write json: %w", err)
	}
	return nil
}
