package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
)

// The job every EMR on EKS tutorial starts with.
const (
	quickstartVC        = "quickstart"
	quickstartRole      = "arn:aws:iam::123456789012:role/emr-job"
	quickstartRelease   = "emr-7.2.0-latest"
	quickstartEntry     = "local:///usr/lib/spark/examples/src/main/python/pi.py"
	quickstartSubmitArg = "--conf spark.executor.instances=2 --conf spark.executor.memory=2G --conf spark.executor.cores=1 --conf spark.driver.cores=1"
)

func runQuickstart(ctx context.Context, env *Env, args []string) error {
	cfg := config.Default()
	fs := newFlags(env, "quickstart", "[flags]")
	endpoint := fs.String("endpoint-url", "", "use the sparkplane server at this URL instead of starting one")
	fs.StringVar(&cfg.DataDir, "data-dir", cfg.DataDir, "data folder of the embedded server")
	fs.StringVar(&cfg.Addr, "addr", cfg.Addr, "address of the embedded server (a free port is used if this one is taken)")
	fs.StringVar(&cfg.Local.SparkHome, "spark-home", "", "Apache Spark installation (default: $SPARK_HOME, then the cache)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	out := env.Stdout
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	url := *endpoint
	embedded := false
	if url == "" && reachable(ctx, "http://"+cfg.Addr) {
		url = "http://" + cfg.Addr
		fmt.Fprintf(out, "Using the sparkplane server already running at %s.\n", url)
	}
	if url == "" {
		a, err := openEmbedded(ctx, cfg)
		if err != nil {
			return err
		}
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		defer func() { cancel(); <-done }()
		url, embedded = a.URL(), true
		fmt.Fprintf(out, "Started an embedded sparkplane server at %s (data in %s).\n", url, cfg.DataDir)
	}

	client := newClient(env, url, cfg.Region)
	vcID, err := quickstartCluster(ctx, client)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "Virtual cluster %q: %s (namespace default on cluster local)\n", quickstartVC, vcID)

	start := time.Now()
	run, err := client.StartJobRun(ctx, &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vcID),
		Name:             aws.String("pi"),
		ExecutionRoleArn: aws.String(quickstartRole),
		ReleaseLabel:     aws.String(quickstartRelease),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(quickstartEntry),
			SparkSubmitParameters: aws.String(quickstartSubmitArg),
		}},
	})
	if err != nil {
		return fmt.Errorf("start job run: %w", err)
	}
	runID := aws.ToString(run.Id)
	fmt.Fprintf(out, "Job run %s started (pi.py, 2 executors × 1 core)\n", runID)

	final, err := followStates(ctx, out, client, vcID, runID, start)
	if err != nil {
		return err
	}
	if final.State != types.JobRunStateCompleted {
		tail, _ := fetchLog(ctx, env, url, vcID, runID, "stderr")
		fmt.Fprintf(out, "\nLast lines of stderr:\n%s\n", lastLines(tail, 15))
		return fmt.Errorf("job run %s ended %s: %s", runID, final.State, aws.ToString(final.StateDetails))
	}
	stdout, err := fetchLog(ctx, env, url, vcID, runID, "stdout")
	if err != nil {
		return err
	}
	fmt.Fprintln(out)
	for _, line := range strings.Split(stdout, "\n") {
		if strings.Contains(line, "Pi is roughly") {
			fmt.Fprintf(out, "Driver output: %s\n", line)
		}
	}
	printNext(out, url, cfg.Region, vcID, runID, embedded)
	return nil
}

// openEmbedded opens a server on cfg.Addr, or on a free port if that is taken.
func openEmbedded(ctx context.Context, cfg config.Config) (*app.App, error) {
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	a, err := app.Open(ctx, cfg, log)
	if err != nil && errors.Is(err, syscall.EADDRINUSE) {
		host, _, _ := net.SplitHostPort(cfg.Addr)
		cfg.Addr = net.JoinHostPort(host, "0")
		a, err = app.Open(ctx, cfg, log)
	}
	return a, err
}

// quickstartCluster returns the id of the RUNNING "quickstart" virtual
// cluster on the local runtime, creating it the first time.
func quickstartCluster(ctx context.Context, c *emrcontainers.Client) (string, error) {
	p := emrcontainers.NewListVirtualClustersPaginator(c, &emrcontainers.ListVirtualClustersInput{
		ContainerProviderId: aws.String("local"),
		States:              []types.VirtualClusterState{types.VirtualClusterStateRunning},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return "", fmt.Errorf("list virtual clusters: %w", err)
		}
		for _, vc := range page.VirtualClusters {
			if aws.ToString(vc.Name) == quickstartVC {
				return aws.ToString(vc.Id), nil
			}
		}
	}
	vc, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String(quickstartVC),
		ContainerProvider: &types.ContainerProvider{
			Type: types.ContainerProviderTypeEks,
			Id:   aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("default")}},
		},
	})
	if err != nil {
		return "", fmt.Errorf("create virtual cluster: %w", err)
	}
	return aws.ToString(vc.Id), nil
}

// followStates prints each state the run goes through until it ends.
func followStates(ctx context.Context, out io.Writer, c *emrcontainers.Client, vcID, runID string, start time.Time) (*types.JobRun, error) {
	var last types.JobRunState
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		d, err := c.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcID), Id: aws.String(runID)})
		if err != nil {
			return nil, fmt.Errorf("describe job run: %w", err)
		}
		run := d.JobRun
		if run.State != last {
			fmt.Fprintf(out, "  %6.1fs  %s\n", time.Since(start).Seconds(), run.State)
			last = run.State
		}
		switch run.State {
		case types.JobRunStateCompleted, types.JobRunStateFailed, types.JobRunStateCancelled:
			return run, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("stopped while job run %s was %s (it goes on; see `sparkplane logs %s %s`)", runID, last, vcID, runID)
		case <-tick.C:
		}
	}
}

func printNext(out io.Writer, url, region, vcID, runID string, embedded bool) {
	self := selfPath()
	fmt.Fprintln(out, "\nNext:")
	if embedded {
		fmt.Fprintln(out, "  # keep a server running (this one stops with the quickstart):")
		fmt.Fprintf(out, "  %s server &\n", self)
		url = defaultEndpoint
	}
	aws := fmt.Sprintf("aws emr-containers --endpoint-url %s --region %s", url, region)
	fmt.Fprintf(out, "  %s list-virtual-clusters\n", aws)
	fmt.Fprintf(out, "  %s describe-job-run --virtual-cluster-id %s --id %s\n", aws, vcID, runID)
	fmt.Fprintf(out, "  %s start-job-run --virtual-cluster-id %s --name pi \\\n", aws, vcID)
	fmt.Fprintf(out, "    --execution-role-arn %s --release-label %s \\\n", quickstartRole, quickstartRelease)
	fmt.Fprintf(out, "    --job-driver '{\"sparkSubmitJobDriver\":{\"entryPoint\":\"%s\",\"sparkSubmitParameters\":\"%s\"}}'\n", quickstartEntry, quickstartSubmitArg)
	fmt.Fprintf(out, "  %s logs %s %s\n", self, vcID, runID)
	fmt.Fprintf(out, "  %s runs %s\n", self, vcID)
	fmt.Fprintf(out, "  %s cost --window today --group-by virtualCluster,jobRun\n", self)
}

// selfPath is how the user can run this binary again: relative to the
// working directory when it is below it (./bin/sparkplane), else as found.
func selfPath() string {
	exe, err := os.Executable()
	if err != nil {
		return "sparkplane"
	}
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, exe); err == nil && !strings.HasPrefix(rel, "..") {
			return "./" + rel
		}
	}
	if found, err := exec.LookPath("sparkplane"); err == nil && found == exe {
		return "sparkplane"
	}
	return exe
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
