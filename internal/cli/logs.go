package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/config"
)

func runLogs(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "logs", "[flags] <virtual-cluster-id> <job-run-id>")
	endpoint := fs.String("endpoint-url", endpointDefault(env), "sparkplane server to ask ($SPARKPLANE_ENDPOINT)")
	stream := fs.String("stream", "all", "stdout, stderr (local runs), job-runner, driver (Kubernetes runs), or all that exist")
	container := fs.String("container", "", "a container (pod name, see --list) whose stdout and stderr to show: the job runner, the driver or an executor, from the run's logUri")
	list := fs.Bool("list", false, "list the containers whose logs the run shipped (monitoringConfiguration's logUri)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	vcID, runID := fs.Arg(0), fs.Arg(1)
	if *list {
		return listContainers(ctx, env, *endpoint, vcID, runID)
	}
	if *container != "" {
		return showContainer(ctx, env, *endpoint, vcID, runID, *container, *stream)
	}
	if *stream != "all" {
		if !slices.Contains(api.LogStreams, *stream) {
			return fmt.Errorf("--stream %q: want all or one of %s", *stream, strings.Join(api.LogStreams, ", "))
		}
		text, err := fetchLog(ctx, env, *endpoint, vcID, runID, *stream)
		if err != nil {
			return err
		}
		fmt.Fprint(env.Stdout, text)
		return nil
	}
	shown := 0
	var firstErr error
	for _, s := range api.LogStreams {
		text, err := fetchLog(ctx, env, *endpoint, vcID, runID, s)
		if err != nil {
			if firstErr == nil {
				firstErr = err
			}
			continue
		}
		fmt.Fprintf(env.Stdout, "==> %s <==\n%s", s, text)
		shown++
	}
	if shown == 0 {
		return firstErr
	}
	return nil
}

func endpointDefault(env *Env) string {
	if e := env.Getenv(config.EnvEndpoint); e != "" {
		return e
	}
	return defaultEndpoint
}

// jsonMessage extracts "message" from an AWS JSON error body.
func jsonMessage(body []byte) string {
	var e struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(body, &e) != nil || e.Message == "" {
		return string(body)
	}
	return e.Message
}
