// Package metricstest reads Prometheus metrics in tests the way
// Prometheus does: parsed with its own text parser (expfmt), then looked
// up by name and labels.
package metricstest

import (
	"io"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// Families are the metric families of a scrape, by name.
type Families = map[string]*dto.MetricFamily

// Parse parses a scrape in Prometheus' text format.
func Parse(r io.Reader) (Families, error) {
	p := expfmt.NewTextParser(model.UTF8Validation)
	return p.TextToMetricFamilies(r)
}

// Value is the value of the counter or gauge, or the count of the
// histogram, of the first series of name whose labels include labels; -1
// when there is none.
func Value(mf Families, name string, labels map[string]string) float64 {
next:
	for _, m := range mf[name].GetMetric() {
		for k, v := range labels {
			if Label(m, k) != v {
				continue next
			}
		}
		switch {
		case m.Counter != nil:
			return m.Counter.GetValue()
		case m.Gauge != nil:
			return m.Gauge.GetValue()
		case m.Histogram != nil:
			return float64(m.Histogram.GetSampleCount())
		}
	}
	return -1
}

// Label is the value of the series' label name; "" when it has none.
func Label(m *dto.Metric, name string) string {
	for _, l := range m.GetLabel() {
		if l.GetName() == name {
			return l.GetValue()
		}
	}
	return ""
}
