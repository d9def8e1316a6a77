package cli

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/emr"
)

// watchRuns prints the state changes of job runs as they happen (`runs
// --watch`), of virtual cluster vcID or of every cluster the caller may
// see (vcID ""), from after (a cursor; -1: from now), until ctx ends: a
// line of a table each, or, as json, each EventBridge event on a line of
// its own. While the server cannot be reached (it restarts, say) it tries
// again, going on from where it was.
func watchRuns(ctx context.Context, env *Env, endpoint, vcID, output string, after int64) error {
	const header = "%-20s  %-22s  %-19s  %-24s  %-14s  %s\n"
	if output == "table" {
		fmt.Fprintf(env.Stdout, header, "TIME", "VIRTUAL CLUSTER", "ID", "NAME", "STATE", "DETAILS")
	}
	enc := json.NewEncoder(env.Stdout)
	failed := 0
	for {
		page, err := fetchEvents(ctx, env, endpoint, vcID, after)
		if ctx.Err() != nil {
			return nil // interrupted
		}
		var refused *refusal
		if errors.As(err, &refused) {
			return err
		}
		if err != nil {
			failed++
			if failed == 1 {
				fmt.Fprintf(env.Stderr, "sparkplane runs --watch: %v; trying again\n", err)
			}
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(min(time.Duration(failed)*500*time.Millisecond, 5*time.Second)):
			}
			continue
		}
		failed = 0
		for _, ev := range page.Events {
			if output == "json" {
				if err := enc.Encode(ev); err != nil {
					return err
				}
				continue
			}
			d := ev.Detail
			details := string(d.State)
			if d.FailureReason != "" {
				details = string(d.FailureReason)
			}
			if d.StateDetails != "" {
				details += ": " + d.StateDetails
			}
			fmt.Fprintf(env.Stdout, header, ev.Time, d.VirtualClusterID, d.ID, clip(d.Name, 24), d.State, clip(details, 80))
		}
		after = page.Cursor
	}
}

// refusal is an answer of the server that asking again will not change
// (a 4xx).
type refusal struct{ msg string }

func (r *refusal) Error() string { return r.msg }

// fetchEvents asks the server for the events after cursor after (-1: from
// now), waiting up to the server's default wait for one.
func fetchEvents(ctx context.Context, env *Env, endpoint, vcID string, after int64) (*api.EventsPage, error) {
	q := url.Values{}
	if after >= 0 {
		q.Set("after", strconv.FormatInt(after, 10))
	}
	if vcID != "" {
		q.Set("virtualClusterId", vcID)
	}
	u := strings.TrimSuffix(endpoint, "/") + "/sparkplane/v1/events"
	if len(q) > 0 {
		u += "?" + q.Encode()
	}
	resp, err := apiGet(ctx, env, u)
	if err != nil {
		return nil, fmt.Errorf("reach sparkplane at %s: %w", endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		msg := resp.Status
		if t := resp.Header.Get("X-Amzn-ErrorType"); t != "" {
			msg = t + ": " + jsonMessage(body)
		}
		if resp.StatusCode/100 == 4 {
			return nil, &refusal{msg}
		}
		return nil, errors.New(msg)
	}
	var page api.EventsPage
	if err := json.Unmarshal(body, &page); err != nil {
		return nil, fmt.Errorf("events from %s: %w", endpoint, err)
	}
	if page.Events == nil {
		page.Events = []emr.Event{}
	}
	return &page, nil
}
