package export

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// WriteCSV writes the report's rows (not the totals) with a header line.
// Numbers are written in full precision, so ReadCSV gives them back exactly.
func WriteCSV(w io.Writer, rep *cost.Report) error {
	cw := csv.NewWriter(w)
	header := make([]string, 0, len(rep.GroupBy)+len(metricColumns))
	for _, d := range rep.GroupBy {
		header = append(header, ColumnName(d))
	}
	header = append(header, metricColumns...)
	if err := cw.Write(header); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	from, to := rep.From.UTC().Format(time.RFC3339Nano), rep.To.UTC().Format(time.RFC3339Nano)
	for i := range rep.Rows {
		r := &rep.Rows[i]
		rec := append(slices.Clone(r.Key),
			kindOf(r), strconv.FormatInt(r.Records, 10),
			num(r.CPUCoreHours), num(r.MemoryGiBHours), num(r.CPUCost), num(r.MemoryCost), num(r.UpliftCost), num(r.Cost),
			optNum(r.CPUEfficiency), optNum(r.MemoryEfficiency), optNum(r.Efficiency),
			r.Flags.String(), rep.Currency, from, to)
		if err := cw.Write(rec); err != nil {
			return fmt.Errorf("write csv: %w", err)
		}
	}
	cw.Flush()
	if err := cw.Error(); err != nil {
		return fmt.Errorf("write csv: %w", err)
	}
	return nil
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

func optNum(v *float64) string {
	if v == nil {
		return ""
	}
	return num(*v)
}

// ReadCSV reads a file WriteCSV wrote.
func ReadCSV(r io.Reader) (*Table, error) {
	cr := csv.NewReader(r)
	header, err := cr.Read()
	if err != nil {
		return nil, fmt.Errorf("read csv header: %w", err)
	}
	nd := len(header) - len(metricColumns)
	if nd < 0 || !slices.Equal(header[nd:], metricColumns) {
		return nil, fmt.Errorf("read csv: header %v does not end with %v", header, metricColumns)
	}
	t := &Table{}
	for _, col := range header[:nd] {
		d, err := dimensionOf(col)
		if err != nil {
			return nil, fmt.Errorf("read csv header: %w", err)
		}
		t.GroupBy = append(t.GroupBy, d)
	}
	for line := 2; ; line++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read csv: %w", err)
		}
		row, err := t.parseRecord(rec, nd)
		if err != nil {
			return nil, fmt.Errorf("read csv line %d: %w", line, err)
		}
		t.Rows = append(t.Rows, row)
	}
}

func (t *Table) parseRecord(rec []string, nd int) (cost.Row, error) {
	row := cost.Row{Key: slices.Clone(rec[:nd])}
	m := rec[nd:]
	p := parser{}
	row.Idle, p.err = parseKind(m[0])
	row.Records = p.int(m[1])
	row.CPUCoreHours, row.MemoryGiBHours = p.float(m[2]), p.float(m[3])
	row.CPUCost, row.MemoryCost, row.UpliftCost, row.Cost = p.float(m[4]), p.float(m[5]), p.float(m[6]), p.float(m[7])
	row.CPUEfficiency, row.MemoryEfficiency, row.Efficiency = p.optFloat(m[8]), p.optFloat(m[9]), p.optFloat(m[10])
	row.Flags = p.flags(m[11])
	t.Currency = m[12]
	t.From, t.To = p.time(m[13]), p.time(m[14])
	return row, p.err
}

// parser keeps the first error of a record's fields.
type parser struct{ err error }

func (p *parser) keep(err error) {
	if p.err == nil {
		p.err = err
	}
}

func (p *parser) int(s string) int64 {
	v, err := strconv.ParseInt(s, 10, 64)
	p.keep(err)
	return v
}

func (p *parser) float(s string) float64 {
	v, err := strconv.ParseFloat(s, 64)
	p.keep(err)
	return v
}

func (p *parser) optFloat(s string) *float64 {
	if s == "" {
		return nil
	}
	v := p.float(s)
	return &v
}

func (p *parser) flags(s string) cost.Flags {
	f, err := cost.ParseFlags(s)
	p.keep(err)
	return f
}

func (p *parser) time(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	p.keep(err)
	return t
}
