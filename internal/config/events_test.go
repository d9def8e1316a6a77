package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestEventsConfig(t *testing.T) {
	path := filepath.Join(t.TempDir(), "config.yaml")
	if err := os.WriteFile(path, []byte(`
events:
  retention: 2h
  webhooks:
    - name: audit
      url: https://hooks.example.com/emr?token=abc
      secretFile: /etc/sparkplane/hook.secret
      timeout: 3s
    - name: ops
      url: http://127.0.0.1:9000/
`), 0o600); err != nil {
		t.Fatal(err)
	}
	c := Default()
	c.DataDir = t.TempDir()
	if err := c.Load(path); err != nil {
		t.Fatal(err)
	}
	if err := c.Validate(); err != nil {
		t.Fatalf("Validate() = %v", err)
	}
	if got := c.Events.RetentionPeriod(); got != 2*time.Hour {
		t.Errorf("RetentionPeriod() = %v, want 2h", got)
	}
	hooks := c.Events.Webhooks
	if len(hooks) != 2 || hooks[0].SecretFile != "/etc/sparkplane/hook.secret" ||
		hooks[0].TimeoutDuration() != 3*time.Second || hooks[1].TimeoutDuration() != DefaultWebhookTimeout {
		t.Errorf("Webhooks = %+v", hooks)
	}
	if got := (Events{}).RetentionPeriod(); got != DefaultEventRetention {
		t.Errorf("default RetentionPeriod() = %v, want %v", got, DefaultEventRetention)
	}
}

func TestEventsConfigErrors(t *testing.T) {
	ok := Webhook{Name: "audit", URL: "https://hooks.example.com/x"}
	for _, tc := range []struct {
		name string
		e    Events
		want string
	}{
		{"bad retention", Events{Retention: "soon"}, "events.retention"},
		{"negative retention", Events{Retention: "-1h"}, "events.retention"},
		{"no name", Events{Webhooks: []Webhook{{URL: ok.URL}}}, "events.webhooks[0].name"},
		{"bad name", Events{Webhooks: []Webhook{{Name: "a b", URL: ok.URL}}}, "events.webhooks[0].name"},
		{"same name", Events{Webhooks: []Webhook{ok, ok}}, "events.webhooks[1].name \"audit\": already used"},
		{"no url", Events{Webhooks: []Webhook{{Name: "audit"}}}, "events.webhooks[0].url"},
		{"not http", Events{Webhooks: []Webhook{{Name: "audit", URL: "ftp://h/x?token=hide"}}}, "events.webhooks[0].url"},
		{"bad timeout", Events{Webhooks: []Webhook{{Name: "audit", URL: ok.URL, Timeout: "1h"}}}, "events.webhooks[0].timeout"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.e.validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("validate() = %v, want an error naming %s", err, tc.want)
			}
			if strings.Contains(err.Error(), "token=") {
				t.Errorf("validate() = %v: repeats the URL", err)
			}
		})
	}
}
