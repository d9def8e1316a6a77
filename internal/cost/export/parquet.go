package export

import (
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// Key-value metadata of the Parquet files.
const metaGroupBy = "sparkplane.groupBy"

const secondsPerDay = 24 * 60 * 60

// rowType is the Go struct a Parquet row is written from: the dimension
// columns, then the metrics, in the order of the CSV columns.
func rowType(groupBy []cost.Dimension) reflect.Type {
	tag := func(s string) reflect.StructTag { return reflect.StructTag(`parquet:"` + s + `"`) }
	var fields []reflect.StructField
	for i, d := range groupBy {
		f := reflect.StructField{Name: fmt.Sprintf("D%d", i), Type: reflect.TypeFor[string](), Tag: tag(ColumnName(d) + ",dict")}
		if d.Kind == cost.DimDay {
			// Days since 1970-01-01 in an int32: parquet-go v0.32 writes a
			// time.Time tagged date as truncated nanoseconds.
			f.Type, f.Tag = reflect.TypeFor[int32](), tag("day,date")
		}
		fields = append(fields, f)
	}
	f64, opt := reflect.TypeFor[float64](), reflect.TypeFor[*float64]()
	str, ts := reflect.TypeFor[string](), reflect.TypeFor[time.Time]()
	for _, f := range []struct {
		name string
		typ  reflect.Type
		tag  string
	}{
		{"Kind", str, colKind + ",dict"}, {"Records", reflect.TypeFor[int64](), colRecords},
		{"CPUHours", f64, colCPUHours}, {"MemHours", f64, colMemHours},
		{"CPUCost", f64, colCPUCost}, {"MemCost", f64, colMemCost}, {"Uplift", f64, colUplift}, {"Total", f64, colTotal},
		{"CPUEff", opt, colCPUEff + ",optional"}, {"MemEff", opt, colMemEff + ",optional"}, {"Eff", opt, colEff + ",optional"},
		{"Flags", str, colFlags + ",dict"}, {"Currency", str, colCurrency + ",dict"},
		{"From", ts, colFrom + ",timestamp(microsecond)"}, {"To", ts, colTo + ",timestamp(microsecond)"},
	} {
		fields = append(fields, reflect.StructField{Name: f.name, Type: f.typ, Tag: tag(f.tag)})
	}
	return reflect.StructOf(fields)
}

// WriteParquet writes the report's rows (not the totals) as a
// snappy-compressed Parquet file.
func WriteParquet(w io.Writer, rep *cost.Report) error {
	typ := rowType(rep.GroupBy)
	names := make([]string, len(rep.GroupBy))
	for i, d := range rep.GroupBy {
		names[i] = d.String()
	}
	pw := parquet.NewWriter(w, parquet.SchemaOf(reflect.New(typ).Elem().Interface()),
		parquet.Compression(&parquet.Snappy),
		parquet.KeyValueMetadata(metaGroupBy, strings.Join(names, ",")))
	for i := range rep.Rows {
		r := &rep.Rows[i]
		v := reflect.New(typ).Elem()
		for j, d := range rep.GroupBy {
			if d.Kind == cost.DimDay {
				day, err := time.Parse(time.DateOnly, r.Key[j])
				if err != nil {
					return fmt.Errorf("write parquet: day %q: %w", r.Key[j], err)
				}
				v.Field(j).SetInt(day.Unix() / secondsPerDay)
				continue
			}
			v.Field(j).SetString(r.Key[j])
		}
		set := func(name string, x any) { v.FieldByName(name).Set(reflect.ValueOf(x)) }
		set("Kind", kindOf(r))
		set("Records", r.Records)
		set("CPUHours", r.CPUCoreHours)
		set("MemHours", r.MemoryGiBHours)
		set("CPUCost", r.CPUCost)
		set("MemCost", r.MemoryCost)
		set("Uplift", r.UpliftCost)
		set("Total", r.Cost)
		set("CPUEff", r.CPUEfficiency)
		set("MemEff", r.MemoryEfficiency)
		set("Eff", r.Efficiency)
		set("Flags", r.Flags.String())
		set("Currency", rep.Currency)
		set("From", rep.From.UTC())
		set("To", rep.To.UTC())
		if err := pw.Write(v.Interface()); err != nil {
			return fmt.Errorf("write parquet: %w", err)
		}
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("write parquet: %w", err)
	}
	return nil
}

// ReadParquet reads a file WriteParquet wrote, column by column name (so
// files whose columns were reordered read too).
func ReadParquet(r io.ReaderAt, size int64) (*Table, error) {
	f, err := parquet.OpenFile(r, size)
	if err != nil {
		return nil, fmt.Errorf("read parquet: %w", err)
	}
	t := &Table{}
	cols := f.Schema().Columns()
	dimCol := map[string]int{} // column name → dimension index
	if names, ok := f.Lookup(metaGroupBy); ok && names != "" {
		for name := range strings.SplitSeq(names, ",") {
			d, err := cost.ParseDimension(name)
			if err != nil {
				return nil, fmt.Errorf("read parquet metadata: %w", err)
			}
			dimCol[ColumnName(d)] = len(t.GroupBy)
			t.GroupBy = append(t.GroupBy, d)
		}
	} else {
		for _, c := range cols {
			if d, err := dimensionOf(c[0]); err == nil {
				dimCol[c[0]] = len(t.GroupBy)
				t.GroupBy = append(t.GroupBy, d)
			}
		}
	}
	pr := parquet.NewReader(f)
	defer pr.Close()
	buf := make([]parquet.Row, 128)
	for {
		n, err := pr.ReadRows(buf)
		for _, row := range buf[:n] {
			cr, err := t.decodeRow(row, cols, dimCol)
			if err != nil {
				return nil, fmt.Errorf("read parquet row %d: %w", len(t.Rows), err)
			}
			t.Rows = append(t.Rows, cr)
		}
		if errors.Is(err, io.EOF) {
			return t, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read parquet: %w", err)
		}
	}
}

func (t *Table) decodeRow(row parquet.Row, cols [][]string, dimCol map[string]int) (cost.Row, error) {
	r := cost.Row{Key: make([]string, len(t.GroupBy))}
	opt := func(v parquet.Value) *float64 {
		if v.IsNull() {
			return nil
		}
		x := v.Double()
		return &x
	}
	var err error
	for _, v := range row {
		name := cols[v.Column()][0]
		if i, ok := dimCol[name]; ok {
			if t.GroupBy[i].Kind == cost.DimDay {
				r.Key[i] = time.Unix(int64(v.Int32())*secondsPerDay, 0).UTC().Format(time.DateOnly)
			} else {
				r.Key[i] = string(v.ByteArray())
			}
			continue
		}
		switch name {
		case colKind:
			r.Idle, err = parseKind(string(v.ByteArray()))
		case colRecords:
			r.Records = v.Int64()
		case colCPUHours:
			r.CPUCoreHours = v.Double()
		case colMemHours:
			r.MemoryGiBHours = v.Double()
		case colCPUCost:
			r.CPUCost = v.Double()
		case colMemCost:
			r.MemoryCost = v.Double()
		case colUplift:
			r.UpliftCost = v.Double()
		case colTotal:
			r.Cost = v.Double()
		case colCPUEff:
			r.CPUEfficiency = opt(v)
		case colMemEff:
			r.MemoryEfficiency = opt(v)
		case colEff:
			r.Efficiency = opt(v)
		case colFlags:
			r.Flags, err = cost.ParseFlags(string(v.ByteArray()))
		case colCurrency:
			t.Currency = string(v.ByteArray())
		case colFrom:
			t.From = time.UnixMicro(v.Int64()).UTC()
		case colTo:
			t.To = time.UnixMicro(v.Int64()).UTC()
		}
		if err != nil {
			return r, fmt.Errorf("column %s: %w", name, err)
		}
	}
	return r, nil
}
