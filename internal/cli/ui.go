package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
)

// sparkUIAnswer is the answer of GET …/jobruns/{id}/ui.
type sparkUIAnswer struct {
	URL           string `json:"url"`
	ApplicationID string `json:"applicationId"`
	HistoryServer string `json:"historyServer"`
	EventLog      string `json:"eventLog"`
}

func runUI(ctx context.Context, env *Env, args []string) error {
	fs := newFlags(env, "ui", "[flags] <virtual-cluster-id> <job-run-id>")
	endpoint := fs.String("endpoint-url", endpointDefault(env), "sparkplane server to ask ($SPARKPLANE_ENDPOINT)")
	output := fs.String("output", "text", "text (the URL) or json")
	open := fs.Bool("open", false, "also open the URL with xdg-open")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != 2 {
		fs.Usage()
		return errUsage
	}
	if *output != "text" && *output != "json" {
		return fmt.Errorf("--output %q: want text or json", *output)
	}
	url := fmt.Sprintf("%s/sparkplane/v1/virtualclusters/%s/jobruns/%s/ui", strings.TrimSuffix(*endpoint, "/"), fs.Arg(0), fs.Arg(1))
	resp, err := apiGet(ctx, env, url)
	if err != nil {
		return fmt.Errorf("reach sparkplane at %s (is `sparkplane server` running?): %w", *endpoint, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		msg := strings.TrimSpace(string(body))
		if t := resp.Header.Get("X-Amzn-ErrorType"); t != "" {
			msg = t + ": " + jsonMessage(body)
		}
		return fmt.Errorf("%s", msg)
	}
	var a sparkUIAnswer
	if err := json.Unmarshal(body, &a); err != nil || a.URL == "" {
		return fmt.Errorf("unexpected answer from %s: %s", url, body)
	}
	if *output == "json" {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(a); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(env.Stdout, a.URL)
	}
	if *open {
		if err := exec.CommandContext(ctx, "xdg-open", a.URL).Start(); err != nil {
			fmt.Fprintf(env.Stderr, "could not open a browser (%v); the URL is above\n", err)
		}
	}
	return nil
}
