package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// runClusters lists the virtual clusters as a table (or JSON).
func runClusters(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "clusters", "[flags]")
	endpoint := fs.String("endpoint-url", endpointDefault(env), "sparkplane server to ask ($SPARKPLANE_ENDPOINT)")
	output := fs.String("output", "table", "table or json")
	all := fs.Bool("all", false, "include TERMINATED virtual clusters")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 || (*output != "table" && *output != "json") {
		fs.Usage()
		return errUsage
	}
	in := &emrcontainers.ListVirtualClustersInput{}
	if !*all {
		in.States = []types.VirtualClusterState{types.VirtualClusterStateRunning, types.VirtualClusterStateTerminating, types.VirtualClusterStateArrested}
	}
	if *output == "json" {
		q := url.Values{}
		for _, st := range in.States {
			q.Add("states", string(st))
		}
		return listJSON(ctx, env, env.Stdout, *endpoint, "/virtualclusters", "virtualClusters", q, 0)
	}
	var vcs []types.VirtualCluster
	p := emrcontainers.NewListVirtualClustersPaginator(newClient(env, *endpoint, regionOf(env)), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list virtual clusters at %s: %w", *endpoint, err)
		}
		vcs = append(vcs, page.VirtualClusters...)
	}
	tw := table(env.Stdout, "ID", "NAME", "STATE", "CLUSTER", "NAMESPACE", "CREATED")
	for _, vc := range vcs {
		ns := ""
		if info, ok := vc.ContainerProvider.Info.(*types.ContainerInfoMemberEksInfo); ok {
			ns = aws.ToString(info.Value.Namespace)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToString(vc.Id), aws.ToString(vc.Name), vc.State,
			aws.ToString(vc.ContainerProvider.Id), ns, ago(vc.CreatedAt))
	}
	return tw.Flush()
}

// runRuns lists the job runs of a virtual cluster, newest first, or, with
// --watch, follows their state changes (watchRuns).
func runRuns(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "runs", "[flags] <virtual-cluster-id> | --watch [<virtual-cluster-id>]")
	endpoint := fs.String("endpoint-url", endpointDefault(env), "sparkplane server to ask ($SPARKPLANE_ENDPOINT)")
	output := fs.String("output", "table", "table or json")
	states := fs.String("states", "", "comma-separated states to keep, e.g. RUNNING,PENDING")
	limit := fs.Int("limit", 50, "at most this many runs")
	watch := fs.Bool("watch", false, "print the runs' state changes as they happen (of every cluster you may see when none is named)")
	after := fs.Int64("after", -1, "with --watch: start after this event cursor (0: every event kept) rather than now")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *watch && fs.NArg() <= 1 && (*output == "table" || *output == "json") {
		return watchRuns(ctx, env, *endpoint, fs.Arg(0), *output, *after)
	}
	if fs.NArg() != 1 || (*output != "table" && *output != "json") || *limit < 1 {
		fs.Usage()
		return errUsage
	}
	in := &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(fs.Arg(0))}
	for _, s := range strings.Split(*states, ",") {
		if s = strings.TrimSpace(strings.ToUpper(s)); s != "" {
			in.States = append(in.States, types.JobRunState(s))
		}
	}
	if *output == "json" {
		q := url.Values{}
		for _, st := range in.States {
			q.Add("states", string(st))
		}
		return listJSON(ctx, env, env.Stdout, *endpoint, "/virtualclusters/"+url.PathEscape(fs.Arg(0))+"/jobruns", "jobRuns", q, *limit)
	}
	var runs []types.JobRun
	p := emrcontainers.NewListJobRunsPaginator(newClient(env, *endpoint, regionOf(env)), in)
	for p.HasMorePages() && len(runs) < *limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list job runs at %s: %w", *endpoint, err)
		}
		runs = append(runs, page.JobRuns...)
	}
	runs = runs[:min(len(runs), *limit)]
	tw := table(env.Stdout, "ID", "NAME", "STATE", "CREATED", "DURATION", "DETAILS")
	for _, r := range runs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", aws.ToString(r.Id), aws.ToString(r.Name), r.State,
			ago(r.CreatedAt), duration(r.CreatedAt, r.FinishedAt), clip(aws.ToString(r.StateDetails), 60))
	}
	return tw.Flush()
}

func table(w io.Writer, headers ...string) *tabwriter.Writer {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, strings.Join(headers, "\t"))
	return tw
}

// listJSON pages through a List operation and prints its items as the API
// returns them (the wire format, as `aws emr-containers` prints it), at
// most limit of them (0: all).
func listJSON(ctx context.Context, env *Env, w io.Writer, endpoint, path, key string, q url.Values, limit int) error {
	var items []json.RawMessage
	for {
		u := strings.TrimSuffix(endpoint, "/") + path + "?" + q.Encode()
		resp, err := apiGet(ctx, env, u)
		if err != nil {
			return fmt.Errorf("reach sparkplane at %s (is `sparkplane server` running?): %w", endpoint, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			return err
		}
		if resp.StatusCode != http.StatusOK {
			return fmt.Errorf("%s: %s", resp.Header.Get("X-Amzn-ErrorType"), jsonMessage(body))
		}
		var page map[string]json.RawMessage
		if err := json.Unmarshal(body, &page); err != nil {
			return fmt.Errorf("list %s: %w", path, err)
		}
		var got []json.RawMessage
		if err := json.Unmarshal(page[key], &got); err != nil {
			return fmt.Errorf("list %s: %w", path, err)
		}
		items = append(items, got...)
		var next string
		_ = json.Unmarshal(page["nextToken"], &next)
		if next == "" || (limit > 0 && len(items) >= limit) {
			break
		}
		q.Set("nextToken", next)
	}
	if limit > 0 && len(items) > limit {
		items = items[:limit]
	}
	out, err := json.MarshalIndent(map[string]any{key: items}, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "%s\n", out)
	return err
}

// ago renders a time as how long ago it was.
func ago(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return time.Since(*t).Round(time.Second).String() + " ago"
}

func duration(start, end *time.Time) string {
	if start == nil {
		return "-"
	}
	if end == nil {
		return time.Since(*start).Round(time.Second).String() + "…"
	}
	return end.Sub(*start).Round(100 * time.Millisecond).String()
}

func clip(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
