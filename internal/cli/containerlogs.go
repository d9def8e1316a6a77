package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"text/tabwriter"

	"github.com/sparkplane/sparkplane/internal/runtime"
)

// listContainers prints the containers whose logs a run shipped.
func listContainers(ctx context.Context, env *Env, endpoint, vcID, runID string) error {
	body, err := fetchText(ctx, env, endpoint, fmt.Sprintf("/sparkplane/v1/virtualclusters/%s/jobruns/%s/containers", vcID, runID))
	if err != nil {
		return err
	}
	var out struct {
		Containers []runtime.ContainerLog `json:"containers"`
	}
	if err := json.Unmarshal([]byte(body), &out); err != nil {
		return fmt.Errorf("the server's answer: %w", err)
	}
	if len(out.Containers) == 0 {
		return fmt.Errorf("job run %s shipped no container logs (its monitoringConfiguration has no s3MonitoringConfiguration, or nothing was shipped yet)", runID)
	}
	w := tabwriter.NewWriter(env.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "CONTAINER\tROLE\tSPARK APP\tSTREAMS\tLOCATION")
	for _, c := range out.Containers {
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", c.Name, c.Role, c.SparkApplicationID, strings.Join(c.Streams, ","), c.Location)
	}
	return w.Flush()
}

// showContainer prints stream (stdout, stderr or all) of one container.
func showContainer(ctx context.Context, env *Env, endpoint, vcID, runID, container, stream string) error {
	streams := []string{"stdout", "stderr"}
	switch stream {
	case "all":
	case "stdout", "stderr":
		streams = []string{stream}
	default:
		return fmt.Errorf("--stream %q with --container: want stdout, stderr or all", stream)
	}
	for _, s := range streams {
		text, err := fetchText(ctx, env, endpoint, fmt.Sprintf("/sparkplane/v1/virtualclusters/%s/jobruns/%s/logs/%s?container=%s", vcID, runID, s, url.QueryEscape(container)))
		if err != nil {
			return err
		}
		if len(streams) > 1 {
			fmt.Fprintf(env.Stdout, "==> %s/%s <==\n", container, s)
		}
		fmt.Fprint(env.Stdout, text)
	}
	return nil
}
