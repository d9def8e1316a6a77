package app

import (
	"bytes"
	"fmt"
	"log/slog"
	"os"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/events"
	"github.com/sparkplane/sparkplane/internal/store"
)

// newEvents returns the dispatcher of the configured webhooks, reading
// their secrets now. Servers sharing a PostgreSQL store deliver each
// webhook from one of them at a time, holding its lease as owner.
func newEvents(cfg config.Config, st store.Store, owner string, log *slog.Logger) (*events.Dispatcher, error) {
	hooks := make([]events.Webhook, len(cfg.Events.Webhooks))
	for i, w := range cfg.Events.Webhooks {
		hooks[i] = events.Webhook{Name: w.Name, URL: w.URL, Timeout: w.TimeoutDuration()}
		if w.SecretFile != "" {
			secret, err := os.ReadFile(w.SecretFile)
			if err != nil {
				return nil, fmt.Errorf("events.webhooks[%d] (%s): secretFile: %w", i, w.Name, err)
			}
			if secret = bytes.TrimSpace(secret); len(secret) == 0 {
				return nil, fmt.Errorf("events.webhooks[%d] (%s): secretFile %s is empty", i, w.Name, w.SecretFile)
			}
			hooks[i].Secret = secret
		}
	}
	opts := events.Options{Retention: cfg.Events.RetentionPeriod(), Logger: log}
	if kind, _ := cfg.StoreKind(); kind == config.StorePostgres {
		opts.Leases, opts.Owner = st, owner
	}
	return events.New(st, hooks, opts), nil
}
