package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
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
	var vcs []types.VirtualCluster
	p := emrcontainers.NewListVirtualClustersPaginator(newClient(env, *endpoint, "us-east-1"), in)
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list virtual clusters at %s: %w", *endpoint, err)
		}
		vcs = append(vcs, page.VirtualClusters...)
	}
	if *output == "json" {
		return writeJSON(env.Stdout, vcs)
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

// runRuns lists the job runs of a virtual cluster, newest first.
func runRuns(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "runs", "[flags] <virtual-cluster-id>")
	endpoint := fs.String("endpoint-url", endpointDefault(env), "sparkplane server to ask ($SPARKPLANE_ENDPOINT)")
	output := fs.String("output", "table", "table or json")
	states := fs.String("states", "", "comma-separated states to keep, e.g. RUNNING,PENDING")
	limit := fs.Int("limit", 50, "at most this many runs")
	if err := fs.Parse(args); err != nil {
		return err
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
	var runs []types.JobRun
	p := emrcontainers.NewListJobRunsPaginator(newClient(env, *endpoint, "us-east-1"), in)
	for p.HasMorePages() && len(runs) < *limit {
		page, err := p.NextPage(ctx)
		if err != nil {
			return fmt.Errorf("list job runs at %s: %w", *endpoint, err)
		}
		runs = append(runs, page.JobRuns...)
	}
	runs = runs[:min(len(runs), *limit)]
	if *output == "json" {
		return writeJSON(env.Stdout, runs)
	}
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

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
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
