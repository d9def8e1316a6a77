package cli

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/devcluster"
	"github.com/sparkplane/sparkplane/internal/podimage"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// runDevCluster is `sparkplane dev-cluster up|down|status|run`.
func runDevCluster(ctx context.Context, env *Env, args []string) error {
	const sub = "up|down|status|run"
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		fmt.Fprintf(env.Stderr, "Usage: sparkplane dev-cluster %s [flags]\n\n"+
			"  up      start the embedded Kubernetes cluster and its S3 server in the background (registered as cluster %q)\n"+
			"  down    stop it and every pod; leaves no process behind\n"+
			"  status  show whether it runs, its node, its pods and its S3 server (--output json for scripts)\n"+
			"  run     the cluster's supervisor in the foreground (what up starts)\n", sub, config.DevClusterID)
		return errUsage
	}
	name := "dev-cluster " + args[0]
	fs := newFlags(env, name, "[flags]")
	configFile := fs.String("config", "", "the server's configuration file (its dataDir and devCluster section)")
	dataDir := fs.String("data-dir", config.DefaultDataDir(), "the server's data folder; the cluster lives in its dev-cluster/ folder")
	output := fs.String("output", "table", "status: table or json")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		fs.Usage()
		return errUsage
	}
	cfg := config.Default()
	if *configFile != "" {
		if err := cfg.Load(*configFile); err != nil {
			return err
		}
	}
	fs.Visit(func(f *flag.Flag) {
		if f.Name == "data-dir" {
			cfg.DataDir = *dataDir
		}
	})
	if err := cfg.Validate(); err != nil {
		return err
	}
	layout := devcluster.Layout{Dir: cfg.DevClusterDir()}
	switch args[0] {
	case "up":
		return devClusterUp(ctx, env, cfg, layout, args[1:])
	case "down":
		return devcluster.Down(ctx, layout, env.Stdout)
	case "status":
		return devClusterStatus(ctx, env, layout, *output)
	case "run":
		return devClusterRun(ctx, env, cfg, layout)
	}
	fmt.Fprintf(env.Stderr, "sparkplane dev-cluster: unknown subcommand %q (want %s)\n", args[0], sub)
	return errUsage
}

func devClusterUp(ctx context.Context, env *Env, cfg config.Config, layout devcluster.Layout, flags []string) error {
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "starting the embedded Kubernetes cluster in %s\n", layout.Dir)
	begin := time.Now()
	st, err := devcluster.Up(ctx, layout, append([]string{exe, "dev-cluster", "run"}, flags...), cfg.Env.Environ(), env.Stdout)
	if err != nil {
		return err
	}
	fmt.Fprintf(env.Stdout, "\nThe embedded cluster is up (%v).\n", time.Since(begin).Round(100*time.Millisecond))
	printState(env.Stdout, st)
	server, down := "sparkplane server", "sparkplane dev-cluster down"
	if cfg.DataDir != config.DefaultDataDir() {
		server += " --data-dir " + cfg.DataDir
		down += " --data-dir " + cfg.DataDir
	}
	fmt.Fprintf(env.Stdout, `
Next:
  export KUBECONFIG=%s    # kubectl works as on any cluster
  %s    # registers it as cluster %q (restart a server already running)
  aws emr-containers create-virtual-cluster --endpoint-url http://127.0.0.1:8080 --name dev \
    --container-provider '{"id":"%s","type":"EKS","info":{"eksInfo":{"namespace":"default"}}}'
  %s    # stops it and every pod
`, st.Kubeconfig, server, config.DevClusterID, config.DevClusterID, down)
	if s3 := st.S3; s3 != nil {
		fmt.Fprintf(env.Stdout, `
S3 (the server's default S3 endpoint; jobs use s3://%s/...):
  AWS_SHARED_CREDENTIALS_FILE=%s aws --endpoint-url %s --region %s s3 ls s3://%s
`, s3.Bucket, s3.CredentialsFile, s3.Endpoint, s3.Region, s3.Bucket)
	}
	return nil
}

func printState(w io.Writer, st devcluster.State) {
	tw := table(w, "FIELD", "VALUE")
	fmt.Fprintf(tw, "apiserver\t%s\n", st.APIServer)
	fmt.Fprintf(tw, "kubeconfig\t%s\n", st.Kubeconfig)
	fmt.Fprintf(tw, "node\t%s\n", st.Node)
	fmt.Fprintf(tw, "pod network\t%s (%s)\n", st.PodCIDR, st.Network)
	fmt.Fprintf(tw, "supervisor pid\t%d\n", st.PID)
	if s3 := st.S3; s3 != nil {
		fmt.Fprintf(tw, "s3 endpoint\t%s (path-style, region %s)\n", s3.Endpoint, s3.Region)
		fmt.Fprintf(tw, "s3 bucket\t%s\n", s3.Bucket)
		fmt.Fprintf(tw, "s3 access key\t%s (secret key in %s)\n", s3.AccessKeyID, s3.CredentialsFile)
	}
	tw.Flush()
}

func devClusterStatus(ctx context.Context, env *Env, layout devcluster.Layout, output string) error {
	if output != "table" && output != "json" {
		return fmt.Errorf("--output %q: want table or json", output)
	}
	s, err := devcluster.ReadStatus(ctx, layout)
	if output == "json" {
		if err != nil {
			return err
		}
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(s)
	}
	if !s.Running {
		fmt.Fprintln(env.Stdout, devcluster.ErrNotRunning)
		return err
	}
	printState(env.Stdout, s.State)
	if err != nil {
		return err
	}
	ready := "NotReady"
	if s.NodeReady {
		ready = "Ready"
	}
	fmt.Fprintf(env.Stdout, "\nnode %s %s: %s CPU, %s memory; up since %s\n", s.Node, ready, s.CPU, s.Memory, s.StartedAt.Local().Format(time.DateTime))
	tw := table(env.Stdout, "PODS", "COUNT")
	for _, phase := range s.PodPhases() {
		fmt.Fprintf(tw, "%s\t%d\n", phase, s.Pods[phase])
	}
	return tw.Flush()
}

// devClusterRun is the supervisor: progress lines on stdout (which up
// follows), the node agent's log in the cluster folder.
func devClusterRun(ctx context.Context, env *Env, cfg config.Config, layout devcluster.Layout) error {
	dist, err := sparkdist.Find(cfg.Local.SparkHome, cfg.Env)
	if err != nil {
		return fmt.Errorf("the embedded cluster runs Spark images from the installed Spark: %w", err)
	}
	cidr, err := cfg.PodCIDR()
	if err != nil {
		return err
	}
	if err := os.MkdirAll(layout.Dir, 0o755); err != nil {
		return err
	}
	agentLog, err := os.OpenFile(layout.Dir+"/node-agent.log", os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	defer agentLog.Close()
	logger := slog.New(slog.NewTextHandler(agentLog, nil))
	// Spark images run the Spark of the version their tag names, installed
	// on first use, unless local.sparkHome or $SPARK_HOME pins the one.
	var versions podimage.Dists
	if !sparkdist.Pinned(cfg.Local.SparkHome, cfg.Env) {
		versions = devcluster.NewSparks(ctx, dist, cfg.Env, logger).Dist
	}
	images, err := devcluster.Images(cfg.DevCluster, dist, versions)
	if err != nil {
		return err
	}
	labels := map[string]string{"topology.kubernetes.io/zone": "local", "karpenter.sh/capacity-type": "on-demand"}
	if cfg.Local.InstanceType != "" {
		labels["node.kubernetes.io/instance-type"] = cfg.Local.InstanceType
	}
	progress := func(format string, args ...any) {
		fmt.Fprintf(env.Stdout, "%s %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
	}
	return devcluster.Supervise(ctx, devcluster.Options{
		Layout: layout, PodCIDR: cidr, Images: images, Labels: labels, Progress: progress,
		S3Address: cfg.DevS3Address(), S3Bucket: config.DevS3Bucket,
		Logger: logger,
	})
}
