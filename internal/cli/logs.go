package cli

import (
	"context"
	"encoding/json"
	"fmt"
)

func runLogs(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "logs", "[flags] <virtual-cluster-id> <job-run-id>")
	endpoint := fs.String("endpoint-url", endpointDefault(env), "sparkplane server to ask ($SPARKPLANE_ENDPOINT)")
	stream := fs.String("stream", "all", "stdout, stderr, or all (stdout then stderr)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	vcID, runID := fs.Arg(0), fs.Arg(1)
	streams := []string{*stream}
	switch *stream {
	case "all":
		streams = []string{"stdout", "stderr"}
	case "stdout", "stderr":
	default:
		return fmt.Errorf("--stream %q: want stdout, stderr or all", *stream)
	}
	for _, s := range streams {
		text, err := fetchLog(ctx, *endpoint, vcID, runID, s)
		if err != nil {
			return err
		}
		if len(streams) > 1 {
			fmt.Fprintf(env.Stdout, "==> %s <==\n", s)
		}
		fmt.Fprint(env.Stdout, text)
	}
	return nil
}

func endpointDefault(env *Env) string {
	if e := env.Getenv("SPARKPLANE_ENDPOINT"); e != "" {
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
