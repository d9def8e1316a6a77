package cost

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// QueryError is a report query refused: the parameter at fault (window,
// groupBy, filter), its value and why. The API answers it with a 400.
type QueryError struct {
	Param  string
	Value  string
	Reason string
}

func (e *QueryError) Error() string {
	return fmt.Sprintf("invalid %s %q: %s", e.Param, e.Value, e.Reason)
}

// Dimension is what a report groups by.
type Dimension struct {
	Kind DimensionKind
	Tag  string // the tag key, for DimTag
}

// DimensionKind is the kind of a Dimension.
type DimensionKind uint8

// Dimension kinds, named in queries as below (tag:<key> for DimTag).
const (
	DimJobRun         DimensionKind = iota + 1 // jobRun
	DimVirtualCluster                          // virtualCluster
	DimTag                                     // tag:<key>: the run's tag, else its virtual cluster's
	DimComponent                               // component
	DimCapacityType                            // capacityType
	DimDay                                     // day (UTC, YYYY-MM-DD)
	DimInstanceType                            // instanceType
	DimNamespace                               // namespace
	DimNode                                    // node
	DimZone                                    // zone
	DimPod                                     // pod
)

var dimNames = map[DimensionKind]string{
	DimJobRun: "jobRun", DimVirtualCluster: "virtualCluster", DimTag: "tag",
	DimComponent: "component", DimCapacityType: "capacityType", DimDay: "day",
	DimInstanceType: "instanceType", DimNamespace: "namespace", DimNode: "node",
	DimZone: "zone", DimPod: "pod",
}

// Values of a row's non-node dimensions for idle cost, and of a tag that a
// run and its virtual cluster both lack.
const (
	IdleValue        = "__idle__"
	UnallocatedValue = "__unallocated__"
)

// String is the dimension's name in queries: virtualCluster, tag:team.
func (d Dimension) String() string {
	if d.Kind == DimTag {
		return "tag:" + d.Tag
	}
	return dimNames[d.Kind]
}

// nodeDimension: the dimension applies to a node (and so to idle rows).
func (d Dimension) nodeDimension() bool {
	switch d.Kind {
	case DimCapacityType, DimDay, DimInstanceType, DimNode, DimZone:
		return true
	}
	return false
}

// ParseDimension reads a dimension name: jobRun, virtualCluster,
// tag:<key>, component, capacityType, day, instanceType, namespace, node,
// zone or pod.
func ParseDimension(s string) (Dimension, error) {
	if key, ok := strings.CutPrefix(s, "tag:"); ok {
		if key == "" || len(key) > 128 {
			return Dimension{}, fmt.Errorf("tag key must be 1 to 128 characters")
		}
		return Dimension{Kind: DimTag, Tag: key}, nil
	}
	for k, n := range dimNames {
		if n == s && k != DimTag {
			return Dimension{Kind: k}, nil
		}
	}
	return Dimension{}, fmt.Errorf("unknown grouping: want jobRun, virtualCluster, tag:<key>, component, capacityType, day, instanceType, namespace, node, zone or pod")
}

// ParseGroupBy reads a comma-separated list of dimensions
// ("virtualCluster,day"); empty groups everything into one row.
func ParseGroupBy(s string) ([]Dimension, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var dims []Dimension
	for part := range strings.SplitSeq(s, ",") {
		d, err := ParseDimension(strings.TrimSpace(part))
		if err != nil {
			return nil, &QueryError{Param: "groupBy", Value: s, Reason: err.Error()}
		}
		dims = append(dims, d)
	}
	q := Query{GroupBy: dims}
	if err := q.validateGroupBy(); err != nil {
		return nil, err
	}
	return dims, nil
}

// Filter keeps the records whose dimension has one of the values.
type Filter struct {
	Dimension Dimension
	Values    []string
}

// ParseFilter reads "dimension=value[|value...]" (tag:team=data|ml).
func ParseFilter(s string) (Filter, error) {
	name, values, ok := strings.Cut(s, "=")
	if !ok || values == "" {
		return Filter{}, &QueryError{Param: "filter", Value: s, Reason: "want dimension=value[|value...]"}
	}
	d, err := ParseDimension(name)
	f := Filter{Dimension: d, Values: strings.Split(values, "|")}
	if err == nil {
		err = f.validate()
	}
	if err != nil {
		return Filter{}, &QueryError{Param: "filter", Value: s, Reason: err.Error()}
	}
	return f, nil
}

func (f *Filter) validate() error {
	switch {
	case f.Dimension.Kind == DimDay:
		return errors.New("filter days with the window")
	case dimNames[f.Dimension.Kind] == "" || (f.Dimension.Kind == DimTag && f.Dimension.Tag == ""):
		return errors.New("unknown dimension")
	case len(f.Values) == 0:
		return errors.New("needs at least one value")
	}
	return nil
}

// Query is what a report covers and how it groups.
type Query struct {
	// From and To bound the window [From, To); records are cut to it.
	From, To time.Time
	// GroupBy are the row keys, in column order; empty: one row.
	GroupBy []Dimension
	// Filters keep only matching records (all filters must match). Idle
	// rows pass only filters on node dimensions (capacityType, day,
	// instanceType, node, zone).
	Filters []Filter
	// Idle adds rows for the idle cost of the nodes given to the report.
	Idle bool
}

// MaxWindow is the longest report window (about 10 years).
const MaxWindow = 10 * 366 * 24 * time.Hour

// Validate checks the query; the error is a *QueryError.
func (q *Query) Validate() error {
	w := q.From.UTC().Format(time.RFC3339) + "," + q.To.UTC().Format(time.RFC3339)
	switch {
	case q.From.IsZero() || q.To.IsZero():
		return &QueryError{Param: "window", Value: w, Reason: "needs a start and an end"}
	case !q.To.After(q.From):
		return &QueryError{Param: "window", Value: w, Reason: "end must be after start"}
	case q.To.Sub(q.From) > MaxWindow:
		return &QueryError{Param: "window", Value: w, Reason: "longer than 10 years"}
	}
	if err := q.validateGroupBy(); err != nil {
		return err
	}
	for _, f := range q.Filters {
		if err := f.validate(); err != nil {
			return &QueryError{Param: "filter", Value: f.Dimension.String(), Reason: err.Error()}
		}
	}
	return nil
}

func (q *Query) validateGroupBy() error {
	seen := map[Dimension]bool{}
	for _, d := range q.GroupBy {
		if _, ok := dimNames[d.Kind]; !ok || (d.Kind == DimTag && d.Tag == "") {
			return &QueryError{Param: "groupBy", Value: d.String(), Reason: "unknown grouping"}
		}
		if seen[d] {
			return &QueryError{Param: "groupBy", Value: d.String(), Reason: "named twice"}
		}
		seen[d] = true
	}
	return nil
}

// groupsByDay: records must be cut at UTC midnights.
func (q *Query) groupsByDay() bool {
	for _, d := range q.GroupBy {
		if d.Kind == DimDay {
			return true
		}
	}
	return false
}
