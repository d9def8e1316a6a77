package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/cost/export"
)

// multiFlag is a flag that may be given several times.
type multiFlag []string

func (m *multiFlag) String() string     { return strings.Join(*m, " ") }
func (m *multiFlag) Set(v string) error { *m = append(*m, v); return nil }

// runCost prints a cost report from the server's /sparkplane/v1/cost: a
// table (export.WriteTable), or the JSON, CSV or Parquet the server sends,
// to stdout or to a file.
func runCost(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "cost", "[flags]")
	endpoint := fs.String("endpoint-url", endpointDefault(env), "sparkplane server to ask ($SPARKPLANE_ENDPOINT)")
	window := fs.String("window", "lastweek", "today, yesterday, week, lastweek, month, lastmonth, 7d, 12h, or FROM,TO (RFC 3339, dates or unix seconds), in UTC")
	groupBy := fs.String("group-by", "", "comma-separated: jobRun, virtualCluster, tag:<key>, component, capacityType, day, instanceType, namespace, node, zone, pod")
	var filters multiFlag
	fs.Var(&filters, "filter", "keep only dimension=value[|value…] (repeatable), e.g. tag:team=data|ml")
	idle := fs.Bool("idle", true, "show the idle cost of the nodes runs used, in rows of its own")
	format := fs.String("format", "table", "table, json, csv or parquet")
	outFile := fs.String("o", "", "write to this file instead of stdout")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch *format {
	case "table", "json", "csv", "parquet":
	default:
		fs.Usage()
		return errUsage
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	if *format == "parquet" && *outFile == "" {
		return fmt.Errorf("--format parquet writes a binary file: give -o FILE")
	}
	q := url.Values{"window": {*window}, "idle": {strconv.FormatBool(*idle)}}
	if *groupBy != "" {
		q.Set("groupBy", *groupBy)
	}
	for _, f := range filters {
		q.Add("filter", f)
	}
	serverFormat := *format
	if serverFormat == "table" {
		serverFormat = "json"
	}
	q.Set("format", serverFormat)
	body, err := fetchCost(ctx, env, *endpoint, q)
	if err != nil {
		return err
	}
	defer body.Close()

	out := env.Stdout
	if *outFile != "" {
		f, err := os.Create(*outFile)
		if err != nil {
			return fmt.Errorf("create %s: %w", *outFile, err)
		}
		defer f.Close()
		out = f
	}
	if *format == "table" {
		var j export.JSONReport
		if err := json.NewDecoder(body).Decode(&j); err != nil {
			return fmt.Errorf("read the cost report: %w", err)
		}
		rep, err := export.FromJSON(&j)
		if err != nil {
			return fmt.Errorf("read the cost report: %w", err)
		}
		if err := export.WriteTable(out, rep, export.TableOptions{}); err != nil {
			return fmt.Errorf("write the cost report: %w", err)
		}
	} else if _, err := io.Copy(out, body); err != nil {
		return fmt.Errorf("download the cost report: %w", err)
	}
	if f, ok := out.(*os.File); ok && *outFile != "" {
		if err := f.Close(); err != nil {
			return fmt.Errorf("write %s: %w", *outFile, err)
		}
	}
	return nil
}

// fetchCost asks the server for a cost report; a refused query comes back
// as the server's message (which names the parameter at fault).
func fetchCost(ctx context.Context, env *Env, endpoint string, q url.Values) (io.ReadCloser, error) {
	u := strings.TrimSuffix(endpoint, "/") + "/sparkplane/v1/cost?" + q.Encode()
	resp, err := apiGet(ctx, env, u)
	if err != nil {
		return nil, fmt.Errorf("reach sparkplane at %s (is `sparkplane server` running?): %w", endpoint, err)
	}
	if resp.StatusCode != http.StatusOK {
		defer resp.Body.Close()
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
		msg := strings.TrimSpace(string(b))
		if t := resp.Header.Get("X-Amzn-ErrorType"); t != "" {
			msg = t + ": " + jsonMessage(b)
		}
		return nil, fmt.Errorf("%s", msg)
	}
	return resp.Body, nil
}
