package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/cost/export"
	"github.com/sparkplane/sparkplane/internal/emr"
)

// CostFormats are the formats GET /sparkplane/v1/cost answers in.
var CostFormats = []string{"json", "csv", "parquet"}

// DefaultCostWindow is the report window when the query names none.
const DefaultCostWindow = "lastweek"

// costReport serves a cost report: sparkplane's own endpoint, outside the
// AWS paths, behind `sparkplane cost`. Query parameters: window (see
// cost.ParseWindow; default lastweek), groupBy (comma-separated
// dimensions), filter (dimension=value[|value…], repeatable), idle (true by
// default: idle node cost in rows of its own) and format (json, csv or
// parquet). A bad parameter is a 400 ValidationException naming it. The
// report is built from the store's daily rollups for the whole days of the
// window and from its usage records for the rest (cost.Build), in one read
// transaction; its rows are then written to the response as they are
// encoded.
func (s *Server) costReport(w http.ResponseWriter, r *http.Request) {
	q, format, err := parseCostQuery(r, s.now())
	if err == nil {
		err = s.authorizeCost(r.Context(), q)
	}
	if err != nil {
		writeError(w, r, s.opts.Logger, err)
		return
	}
	var rep *cost.Report
	err = s.store.ReadMetering(r.Context(), func(src cost.Source) error {
		rep, err = cost.Build(q, s.pricing(), s.now(), src)
		return err
	})
	if err != nil {
		writeError(w, r, s.opts.Logger, costError(err))
		return
	}
	h := w.Header()
	switch format {
	case "csv":
		h.Set("Content-Type", "text/csv; charset=utf-8")
		h.Set("Content-Disposition", `attachment; filename="sparkplane-cost.csv"`)
		err = export.WriteCSV(w, rep)
	case "parquet":
		h.Set("Content-Type", "application/vnd.apache.parquet")
		h.Set("Content-Disposition", `attachment; filename="sparkplane-cost.parquet"`)
		err = export.WriteParquet(w, rep)
	default:
		h.Set("Content-Type", "application/json")
		err = export.WriteJSON(w, rep)
	}
	if err != nil { // the status is sent: all that is left is to log it
		s.opts.Logger.Error("writing a cost report", "format", format, "err", err)
	}
}

// authorizeCost authorizes a report of q on the virtual clusters its filter
// names, each with its tags (aws:ResourceTag), else on every virtual
// cluster (and the idle cost of nodes, which no virtual cluster owns).
func (s *Server) authorizeCost(ctx context.Context, q cost.Query) error {
	for _, f := range q.Filters {
		if f.Dimension.Kind != cost.DimVirtualCluster {
			continue
		}
		for _, id := range f.Values {
			vc, err := forAuthz(ctx, func(ctx context.Context) (*emr.VirtualCluster, error) { return s.store.GetVirtualCluster(ctx, id) })
			if err != nil {
				return err
			}
			if err := s.authorizeVirtualCluster(ctx, ActionGetCostReport, id, vc, conditions{}); err != nil {
				return err
			}
		}
		return nil
	}
	return s.authorize(ctx, ActionGetCostReport, s.opts.Partition.VirtualClusterARN("*"), conditions{})
}

// pricing is the pricing reports use.
func (s *Server) pricing() *cost.Pricing {
	if s.opts.Pricing == nil {
		return cost.DefaultPricing()
	}
	return s.opts.Pricing
}

// parseCostQuery reads the query parameters of a cost report; errors are
// ValidationExceptions naming the parameter.
func parseCostQuery(r *http.Request, now time.Time) (cost.Query, string, error) {
	v := r.URL.Query()
	var q cost.Query
	for name := range v {
		if !slices.Contains(costParams, name) {
			return q, "", emr.Validationf("Unknown parameter %q; use %s.", name, strings.Join(costParams, ", "))
		}
	}
	window := v.Get("window")
	if window == "" {
		window = DefaultCostWindow
	}
	var err error
	if q.From, q.To, err = cost.ParseWindow(window, now); err != nil {
		return q, "", costError(err)
	}
	if g := v.Get("groupBy"); g != "" {
		if q.GroupBy, err = cost.ParseGroupBy(g); err != nil {
			return q, "", costError(err)
		}
	}
	for _, f := range v["filter"] {
		filter, err := cost.ParseFilter(f)
		if err != nil {
			return q, "", costError(err)
		}
		q.Filters = append(q.Filters, filter)
	}
	q.Idle = true
	if s := v.Get("idle"); s != "" {
		if q.Idle, err = strconv.ParseBool(s); err != nil {
			return q, "", costError(&cost.QueryError{Param: "idle", Value: s, Reason: "want true or false"})
		}
	}
	format := v.Get("format")
	if format == "" {
		format = "json"
	}
	if !slices.Contains(CostFormats, format) {
		return q, "", costError(&cost.QueryError{Param: "format", Value: format, Reason: "want " + strings.Join(CostFormats, ", ")})
	}
	if err := q.Validate(); err != nil {
		return q, "", costError(err)
	}
	return q, format, nil
}

// costParams are the query parameters of a cost report.
var costParams = []string{"window", "groupBy", "filter", "idle", "format"}

// costError makes a *cost.QueryError a ValidationException whose message
// names the parameter; other errors stay internal.
func costError(err error) error {
	var qe *cost.QueryError
	if errors.As(err, &qe) {
		return emr.Validationf("Parameter %s: %s.", qe.Param, qe.Error())
	}
	return fmt.Errorf("cost report: %w", err)
}
