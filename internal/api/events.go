package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Limits of GET /sparkplane/v1/events.
const (
	// DefaultEventsWait is how long a call waits for an event when the
	// query names no wait; MaxEventsWait the most it may name.
	DefaultEventsWait = 20 * time.Second
	MaxEventsWait     = 60 * time.Second
	// DefaultEventsLimit and MaxEventsLimit bound the events of an answer.
	DefaultEventsLimit = 100
	MaxEventsLimit     = 1000
	// eventsPoll is how often a waiting call looks at the outbox.
	eventsPoll = 200 * time.Millisecond
)

// EventsPage is the answer of GET /sparkplane/v1/events: the events after
// the cursor asked for, oldest first, and the cursor to ask after next.
type EventsPage struct {
	Events []emr.Event `json:"events"`
	Cursor int64       `json:"cursor"`
}

var eventsParams = []string{"after", "virtualClusterId", "wait", "limit"}

// jobRunEvents serves sparkplane's own endpoint behind `sparkplane runs
// --watch`: a long poll of the job-run state changes in the store's outbox.
// Query parameters: after (a cursor from an earlier answer; absent: from
// now), virtualClusterId (only that cluster's runs), wait (seconds to wait
// for an event, default 20, at most 60) and limit (default 100, at most
// 1000). The answer holds the events after the cursor as soon as there
// are any, or none once wait has passed.
//
// A caller sees the runs of the virtual clusters on whose runs it may
// DescribeJobRun (the action on <cluster ARN>/jobruns/*, with the
// cluster's tags as aws:ResourceTag): asking for one it may not is an
// AccessDeniedException, as is asking for all when it may see none.
func (s *Server) jobRunEvents(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	after, vcID, wait, limit, err := parseEventsQuery(r)
	var vcIDs []string
	if err == nil {
		vcIDs, err = s.visibleClusters(ctx, vcID)
	}
	if err == nil && after < 0 {
		after, err = s.store.LastJobRunEvent(ctx)
	}
	page := EventsPage{Cursor: after, Events: []emr.Event{}}
	deadline := time.Now().Add(wait)
	for err == nil {
		var events []store.JobRunEvent
		if events, err = s.store.JobRunEvents(ctx, after, limit, vcIDs); err != nil || len(events) > 0 {
			for _, e := range events {
				page.Events = append(page.Events, e.Event())
				page.Cursor = e.Cursor
			}
			break
		}
		if time.Now().Add(eventsPoll).After(deadline) {
			break
		}
		select {
		case <-ctx.Done():
			return // the caller left
		case <-time.After(eventsPoll):
		}
	}
	if err != nil {
		writeError(w, r, s.opts.Logger, err)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(page)
}

// parseEventsQuery reads the query of jobRunEvents; after is -1 when
// absent. Errors are ValidationExceptions naming the parameter.
func parseEventsQuery(r *http.Request) (after int64, vcID string, wait time.Duration, limit int, err error) {
	v := r.URL.Query()
	for name := range v {
		if !slices.Contains(eventsParams, name) {
			return 0, "", 0, 0, emr.Validationf("Unknown parameter %q; use %s.", name, strings.Join(eventsParams, ", "))
		}
	}
	after, wait, limit = -1, DefaultEventsWait, DefaultEventsLimit
	if a := v.Get("after"); a != "" {
		if after, err = strconv.ParseInt(a, 10, 64); err != nil || after < 0 {
			return 0, "", 0, 0, emr.Validationf("after %q: want a cursor from an earlier answer (a number >= 0).", a)
		}
	}
	if vcID = v.Get("virtualClusterId"); vcID != "" {
		if err := emr.CheckID("virtualClusterId", vcID); err != nil {
			return 0, "", 0, 0, err
		}
	}
	if ws := v.Get("wait"); ws != "" {
		n, err := strconv.Atoi(ws)
		if err != nil || n < 0 || time.Duration(n)*time.Second > MaxEventsWait {
			return 0, "", 0, 0, emr.Validationf("wait %q: want seconds from 0 to %d.", ws, int(MaxEventsWait/time.Second))
		}
		wait = time.Duration(n) * time.Second
	}
	if ls := v.Get("limit"); ls != "" {
		if limit, err = strconv.Atoi(ls); err != nil || limit < 1 || limit > MaxEventsLimit {
			return 0, "", 0, 0, emr.Validationf("limit %q: want 1 to %d.", ls, MaxEventsLimit)
		}
	}
	return after, vcID, wait, limit, nil
}

// visibleClusters returns the virtual clusters whose runs' events the
// caller may see: vcID alone (or an AccessDeniedException), or every
// cluster it may (nil: all, for a caller whose policies are not evaluated).
func (s *Server) visibleClusters(ctx context.Context, vcID string) ([]string, error) {
	action := "emr-containers:DescribeJobRun"
	if vcID != "" {
		vc, err := forAuthz(ctx, func(ctx context.Context) (*emr.VirtualCluster, error) { return s.store.GetVirtualCluster(ctx, vcID) })
		if err != nil {
			return nil, err
		}
		if err := s.authorizeRuns(ctx, action, vcID, vc); err != nil {
			return nil, err
		}
		return []string{vcID}, nil
	}
	if c := callerOf(ctx); c == nil || c.Evaluate == nil {
		return nil, s.authorize(ctx, action, s.opts.Partition.VirtualClusterARN("*")+"/jobruns/*", conditions{})
	}
	all, _, err := s.store.ListVirtualClusters(ctx, store.VirtualClusterFilter{}, store.Page{})
	if err != nil {
		return nil, err
	}
	visible := []string{}
	for _, vc := range all {
		err := s.authorizeRuns(ctx, action, vc.ID, vc)
		var denied *emr.Error
		switch {
		case err == nil:
			visible = append(visible, vc.ID)
		case !errors.As(err, &denied) || denied.Code != emr.CodeAccessDenied:
			return nil, err
		}
	}
	if len(visible) == 0 && len(all) > 0 {
		return nil, s.authorize(ctx, action, s.opts.Partition.VirtualClusterARN("*")+"/jobruns/*", conditions{})
	}
	return visible, nil
}

// authorizeRuns authorizes action on every run of virtual cluster id (vc,
// nil when it does not exist): on <its ARN>/jobruns/*, with its tags.
func (s *Server) authorizeRuns(ctx context.Context, action, id string, vc *emr.VirtualCluster) error {
	cond := conditions{}
	if vc != nil {
		cond = cond.withResourceTags(vc.Tags)
	}
	return s.authorize(ctx, action, s.opts.Partition.VirtualClusterARN(id)+"/jobruns/*", cond)
}
