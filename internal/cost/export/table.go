package export

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/sparkplane/sparkplane/internal/cost"
)

// TableOptions shape the terminal table.
type TableOptions struct {
	// Decimals of money amounts; 0 means 4, so the cost of a short run
	// does not print as 0.00.
	Decimals int
}

// WriteTable writes the report as an aligned table: a column per grouping
// dimension, then records, vCPU-hours, GiB-hours, CPU, memory, uplift (when
// any) and total cost, CPU and memory efficiency and flags; then the
// allocated, idle (when shown) and total lines.
//
//	VIRTUALCLUSTER  RECORDS  VCPU-H  GIB-H  CPU USD  MEMORY USD  COST USD  CPU EFF  MEM EFF  FLAGS
//	vc-a                  5    17.0   74.0   0.4480      0.2256    0.6736        -        -  spot-estimate
func WriteTable(w io.Writer, rep *cost.Report, opt TableOptions) error {
	dec := opt.Decimals
	if dec <= 0 {
		dec = 4
	}
	uplift := rep.Total.UpliftCost != 0
	header := []string{}
	for _, d := range rep.GroupBy {
		header = append(header, strings.ToUpper(d.String()))
	}
	nd := len(header)
	header = append(header, "RECORDS", "VCPU-H", "GIB-H", "CPU "+rep.Currency, "MEMORY "+rep.Currency)
	if uplift {
		header = append(header, "UPLIFT "+rep.Currency)
	}
	header = append(header, "COST "+rep.Currency, "CPU EFF", "MEM EFF", "FLAGS")
	cells := func(key []string, r *cost.Row) []string {
		c := append([]string{}, key...)
		c = append(c, strconv.FormatInt(r.Records, 10), fixed(r.CPUCoreHours, 1), fixed(r.MemoryGiBHours, 1),
			fixed(r.CPUCost, dec), fixed(r.MemoryCost, dec))
		if uplift {
			c = append(c, fixed(r.UpliftCost, dec))
		}
		return append(c, fixed(r.Cost, dec), percent(r.CPUEfficiency), percent(r.MemoryEfficiency), r.Flags.String())
	}
	t := &table{rightFrom: nd, rightTo: len(header) - 1}
	t.add(header)
	for i := range rep.Rows {
		r := &rep.Rows[i]
		key := make([]string, nd)
		for j, v := range r.Key {
			key[j] = orDash(v)
		}
		t.add(cells(key, r))
	}
	t.rule()
	label := func(s string) []string {
		k := make([]string, nd)
		if nd > 0 {
			k[0] = s
		}
		return k
	}
	t.add(cells(label("allocated"), &rep.Allocated))
	if rep.Idle.Records > 0 {
		t.add(cells(label("idle"), &rep.Idle))
	}
	t.add(cells(label("total"), &rep.Total))
	if err := t.write(w); err != nil {
		return fmt.Errorf("write table: %w", err)
	}
	return nil
}

func fixed(v float64, dec int) string { return strconv.FormatFloat(v, 'f', dec, 64) }

func percent(v *float64) string {
	if v == nil {
		return "-"
	}
	return strconv.FormatFloat(*v*100, 'f', 0, 64) + "%"
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// table aligns cells in columns: text left, numbers (columns rightFrom
// to rightTo-1) right. A nil line is a rule.
type table struct {
	lines              [][]string
	rightFrom, rightTo int
}

func (t *table) add(cells []string) { t.lines = append(t.lines, cells) }
func (t *table) rule()              { t.lines = append(t.lines, nil) }

func (t *table) write(w io.Writer) error {
	var widths []int
	for _, l := range t.lines {
		for i, c := range l {
			if i >= len(widths) {
				widths = append(widths, 0)
			}
			widths[i] = max(widths[i], utf8.RuneCountInString(c))
		}
	}
	total := 0
	for _, wd := range widths {
		total += wd + 2
	}
	var b strings.Builder
	for _, l := range t.lines {
		if l == nil {
			b.WriteString(strings.Repeat("-", max(total-2, 0)) + "\n")
			continue
		}
		var line strings.Builder
		for i, c := range l {
			pad := strings.Repeat(" ", widths[i]-utf8.RuneCountInString(c))
			if i > 0 {
				line.WriteString("  ")
			}
			if i >= t.rightFrom && i < t.rightTo {
				line.WriteString(pad + c)
			} else {
				line.WriteString(c + pad)
			}
		}
		b.WriteString(strings.TrimRight(line.String(), " ") + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}
