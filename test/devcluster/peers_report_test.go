package devcluster

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
)

// summary is one line about a round, for the log.
func (r *peerRound) summary() string {
	if r.err != "" {
		return "ERROR " + r.err
	}
	f := r.figures()
	s := fmt.Sprintf("to driver pod %s (scheduled p50 %.2f s, %.1f/min), %.1f drivers/min, to completed %s, makespan %s, %d failed, CPU %.1fs, RSS %.0f MB (tree %.0f MB)",
		f.driverCell(), f.schedP50, f.schedPerMin, f.perMin, f.doneCell(), fmtMakespan(f.makespan), f.failures, r.usage.cpu.Seconds(), r.usage.peakMB, r.usage.treeMB)
	if r.end != "" {
		s += "; " + r.end
	}
	for _, a := range r.apps {
		if !a.ok {
			s += fmt.Sprintf("; e.g. %s: %s", a.key, a.detail)
			break
		}
	}
	return s
}

// peerFigures are a round's (or a row's) numbers; makespan < 0: not all
// completed.
type peerFigures struct {
	driverP50, driverMax, doneP50, doneMax, perMin, makespan float64
	schedP50, schedPerMin                                    float64 // the driver pods bound to a node
	failures, drivers, apps                                  int
}

func (r *peerRound) figures() peerFigures {
	return figuresOf([]*peerRound{r})
}

// figuresOf merges rounds: percentiles over every application, driver pods
// per minute and makespan as the median of the rounds.
func figuresOf(rounds []*peerRound) peerFigures {
	var toDriver, toScheduled, toDone, perMin, schedPerMin, makespans []float64
	f := peerFigures{}
	for _, r := range rounds {
		var lastDriver, lastScheduled, lastDone time.Time
		drivers, scheduled, completed := 0, 0, 0
		for _, a := range r.apps {
			if !a.scheduled.IsZero() {
				toScheduled = append(toScheduled, a.scheduled.Sub(a.submit).Seconds())
				scheduled++
				if a.scheduled.After(lastScheduled) {
					lastScheduled = a.scheduled
				}
			}
			if !a.driver.IsZero() {
				toDriver = append(toDriver, a.driver.Sub(a.submit).Seconds())
				drivers++
				if a.driver.After(lastDriver) {
					lastDriver = a.driver
				}
			}
			if a.ok {
				toDone = append(toDone, a.done.Sub(a.submit).Seconds())
				completed++
				if a.done.After(lastDone) {
					lastDone = a.done
				}
			} else {
				f.failures++
			}
		}
		if drivers > 0 {
			perMin = append(perMin, float64(drivers)/lastDriver.Sub(r.t0).Minutes())
		}
		if scheduled > 0 {
			schedPerMin = append(schedPerMin, float64(scheduled)/lastScheduled.Sub(r.t0).Minutes())
		}
		if completed == len(r.apps) {
			makespans = append(makespans, lastDone.Sub(r.t0).Seconds())
		} else {
			makespans = append(makespans, -1)
		}
	}
	f.drivers = len(toDriver)
	for _, r := range rounds {
		f.apps += len(r.apps)
	}
	f.driverP50, f.driverMax = p50(toDriver), maxOf(toDriver)
	f.doneP50, f.doneMax = p50(toDone), maxOf(toDone)
	f.perMin, f.makespan = p50(perMin), p50(makespans)
	f.schedP50, f.schedPerMin = p50(toScheduled), p50(schedPerMin)
	if slices.Contains(makespans, -1) {
		f.makespan = -1
	}
	return f
}

func p50(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[(len(s)-1)/2]
}

func maxOf(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	return slices.Max(v)
}

// driverCell is "p50 / max s", with how many driver pods appeared when
// not all did (the figures cover only those).
func (f peerFigures) driverCell() string {
	if f.drivers == 0 {
		return "no driver pod"
	}
	out := fmt.Sprintf("%.2f / %.2f s", f.driverP50, f.driverMax)
	if f.drivers < f.apps {
		out += fmt.Sprintf(" (%d of %d drivers)", f.drivers, f.apps)
	}
	return out
}

// doneCell is "p50 / max s" of the completed applications.
func (f peerFigures) doneCell() string {
	done := f.apps - f.failures
	if done == 0 {
		return "none completed"
	}
	out := fmt.Sprintf("%.1f / %.1f s", f.doneP50, f.doneMax)
	if done < f.apps {
		out += fmt.Sprintf(" (%d of %d)", done, f.apps)
	}
	return out
}

func fmtMakespan(s float64) string {
	if s < 0 {
		return "—"
	}
	return fmt.Sprintf("%.1fs", s)
}

// peerRow is one system in one scenario, over its rounds.
type peerRow struct {
	peer     string
	scenario peerScenario
	rounds   []*peerRound
}

func (r *peerRow) err() string {
	for _, rd := range r.rounds {
		if rd.err != "" {
			return rd.err
		}
	}
	return ""
}

// usage is the per-round mean CPU and the largest peaks.
func (r *peerRow) usage() procUsage {
	var u procUsage
	for _, rd := range r.rounds {
		u.cpu += rd.usage.cpu
		u.peakMB, u.treeMB = max(u.peakMB, rd.usage.peakMB), max(u.treeMB, rd.usage.treeMB)
	}
	u.cpu /= time.Duration(len(r.rounds))
	return u
}

// peerTable is the Markdown table of the rows, with ratios to the
// operator's row of the same scenario.
func peerTable(rows []*peerRow) string {
	var sb strings.Builder
	sb.WriteString("| system | scenario | submit→driver pod p50 / max | driver pods/min | submit→driver scheduled p50 · per min | submit→completed p50 / max | makespan | failures | controller CPU s (per round) | peak RSS MB (process / tree) | vs operator: driver p50 · pods/min · makespan |\n")
	sb.WriteString("|---|---|---|---|---|---|---|---|---|---|---|\n")
	ops := map[string]peerFigures{}
	for _, r := range rows {
		if r.peer == peerOperator && r.err() == "" {
			ops[r.scenario.String()] = figuresOf(r.rounds)
		}
	}
	for _, r := range rows {
		if e := r.err(); e != "" {
			fmt.Fprintf(&sb, "| %s | %s | ERROR: %s | | | | | | | | |\n", r.peer, r.scenario, e)
			continue
		}
		f, u := figuresOf(r.rounds), r.usage()
		ratios := ""
		if op, ok := ops[r.scenario.String()]; ok && r.peer != peerOperator {
			ratios = fmt.Sprintf("%s · %s · %s", ratio(f.driverP50, op.driverP50), ratio(f.perMin, op.perMin), ratio(f.makespan, op.makespan))
		}
		end := ""
		for _, rd := range r.rounds {
			if rd.end != "" {
				end = " (" + rd.end + ")"
			}
		}
		fmt.Fprintf(&sb, "| %s | %s | %s | %.1f | %.1f s · %.1f | %s | %s | %d%s | %.1f | %.0f / %.0f | %s |\n",
			r.peer, r.scenario, f.driverCell(), f.perMin, f.schedP50, f.schedPerMin, f.doneCell(), fmtMakespan(f.makespan),
			f.failures, end, u.cpu.Seconds(), u.peakMB, u.treeMB, ratios)
	}
	return sb.String()
}

func ratio(v, op float64) string {
	if v <= 0 || op <= 0 {
		return "—"
	}
	return fmt.Sprintf("%.2f×", v/op)
}

// report publishes the row's key figures as benchmark metrics.
func (r *peerRow) report(b *testing.B) {
	if r.err() != "" {
		return
	}
	f, u := figuresOf(r.rounds), r.usage()
	tag := fmt.Sprintf("%s/n=%d/%s", r.peer, r.scenario.n, r.scenario.cpu)
	b.ReportMetric(f.driverP50, "s-driver-p50/"+tag)
	b.ReportMetric(f.perMin, "drivers/min/"+tag)
	b.ReportMetric(f.schedPerMin, "scheduled/min/"+tag)
	if f.makespan >= 0 {
		b.ReportMetric(f.makespan, "s-makespan/"+tag)
	}
	b.ReportMetric(float64(f.failures), "failures/"+tag)
	b.ReportMetric(u.cpu.Seconds(), "cpu-s/"+tag)
	b.ReportMetric(u.peakMB, "rss-MB/"+tag)
}
