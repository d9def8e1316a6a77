// Package cli implements the sparkplane command: one function per
// subcommand, each parsing its own flags and returning an error that Main
// turns into a message and an exit code.
package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"

	"github.com/sparkplane/sparkplane/internal/config"
)

// Version is set at build time (-ldflags "-X …/cli.Version=…").
var Version = "dev"

// command is one subcommand.
type command struct {
	name, args, summary string
	run                 func(ctx context.Context, env *Env, args []string) error
}

// Env is what a command reads and writes besides its arguments, so tests
// can run commands in-process.
type Env struct {
	Stdout, Stderr io.Writer
	// Getenv looks up the CLI's variables (SPARKPLANE_ENDPOINT, the AWS
	// keys); Main gives the snapshot config.ReadEnv takes. A server started
	// by a command reads its environment through config.Default.
	Getenv func(string) string
}

func commands() []command {
	return []command{
		{"server", "[flags]", "serve the emr-containers API with the embedded store and local runtime", runServer},
		{"quickstart", "[flags]", "run the EMR on EKS pi.py example end to end and show what to type next", runQuickstart},
		{"clusters", "[flags]", "list the virtual clusters (a table, or --output json)", runClusters},
		{"runs", "[flags] <virtual-cluster-id>", "list the job runs of a virtual cluster, newest first", runRuns},
		{"logs", "[flags] <virtual-cluster-id> <job-run-id>", "print the logs of a job run", runLogs},
		{"ui", "[flags] <virtual-cluster-id> <job-run-id>", "print the URL of a job run's Spark UI (Apache Spark's History Server), after the run", runUI},
		{"cost", "[flags]", "what job runs cost: a table by any grouping, or JSON, CSV or Parquet", runCost},
		{"dev-cluster", "up|down|status", "an embedded Kubernetes cluster whose pods run as host processes (cluster \"dev\")", runDevCluster},
		{"version", "", "print the version", runVersion},
	}
}

// errUsage is returned after a usage message has been printed.
var errUsage = errors.New("usage")

// Main runs the command line args (without the program name) and returns
// the process exit code.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	env := &Env{Stdout: os.Stdout, Stderr: os.Stderr, Getenv: config.ReadEnv().Get}
	return Run(ctx, env, args)
}

// Run is Main with its context and environment given.
func Run(ctx context.Context, env *Env, args []string) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(env.Stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, env, args[1:])
		switch {
		case err == nil:
			return 0
		case errors.Is(err, errUsage), errors.Is(err, flag.ErrHelp):
			return 2
		default:
			fmt.Fprintf(env.Stderr, "sparkplane %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(env.Stderr, "sparkplane: unknown command %q\n\n", args[0])
	usage(env.Stderr)
	return 2
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "sparkplane: a self-hosted control plane for Apache Spark that speaks the EMR on EKS API.")
	fmt.Fprintln(w, "\nUsage: sparkplane <command> [flags]\n\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'sparkplane <command> -h' for the flags of a command.")
}

// newFlags returns a flag set that prints its usage to env.Stderr.
func newFlags(env *Env, name, args string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(env.Stderr)
	fs.Usage = func() {
		fmt.Fprintf(env.Stderr, "Usage: sparkplane %s %s\n\nFlags:\n", name, args)
		fs.PrintDefaults()
	}
	return fs
}

func runVersion(_ context.Context, env *Env, args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("version takes no arguments")
	}
	fmt.Fprintf(env.Stdout, "sparkplane %s (emr-containers API 2020-10-01)\n", Version)
	return nil
}
