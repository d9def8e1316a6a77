package config

import (
	"fmt"
	"net/url"
	"regexp"
	"time"
)

// Events configures the delivery of job-run state-change events.
type Events struct {
	// Webhooks receive every state change of every job run, as an
	// EventBridge event POSTed as JSON, at least once and in order.
	Webhooks []Webhook `json:"webhooks"`
	// Retention is how long events are kept once every webhook has taken
	// them, for `runs --watch` to read (a Go duration, default "24h").
	Retention string `json:"retention"`
}

// Webhook is a destination of events.
type Webhook struct {
	// Name identifies the webhook: where it has got to in the events is
	// kept under this name, so renaming a webhook sends it every event
	// kept again.
	Name string `json:"name"`
	// URL is where events are POSTed (http or https).
	URL string `json:"url"`
	// SecretFile holds a secret that signs each request
	// (X-Sparkplane-Signature-256: sha256=<hex HMAC-SHA256 of the body>);
	// empty: unsigned. Read when the server starts.
	SecretFile string `json:"secretFile"`
	// Timeout bounds one delivery (a Go duration, default "10s").
	Timeout string `json:"timeout"`
}

// Defaults of Events.
const (
	DefaultEventRetention = 24 * time.Hour
	DefaultWebhookTimeout = 10 * time.Second
)

var patWebhookName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// RetentionPeriod is Retention as a duration.
func (e Events) RetentionPeriod() time.Duration {
	d, err := time.ParseDuration(e.Retention)
	if err != nil || d <= 0 {
		return DefaultEventRetention
	}
	return d
}

// TimeoutDuration is Timeout as a duration.
func (w Webhook) TimeoutDuration() time.Duration {
	d, err := time.ParseDuration(w.Timeout)
	if err != nil || d <= 0 {
		return DefaultWebhookTimeout
	}
	return d
}

func (e Events) validate() error {
	if e.Retention != "" {
		if d, err := time.ParseDuration(e.Retention); err != nil || d <= 0 {
			return fmt.Errorf("events.retention %q: want a positive duration such as \"24h\"", e.Retention)
		}
	}
	seen := map[string]bool{}
	for i, w := range e.Webhooks {
		field := fmt.Sprintf("events.webhooks[%d]", i)
		if !patWebhookName.MatchString(w.Name) {
			return fmt.Errorf("%s.name %q: want 1-64 letters, digits, '.', '-' and '_', starting with a letter or digit", field, w.Name)
		}
		if seen[w.Name] {
			return fmt.Errorf("%s.name %q: already used", field, w.Name)
		}
		seen[w.Name] = true
		u, err := url.Parse(w.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			// The URL itself is not repeated: it may carry a token.
			return fmt.Errorf("%s.url (%s): want an http:// or https:// URL with a host", field, w.Name)
		}
		if w.Timeout != "" {
			if d, err := time.ParseDuration(w.Timeout); err != nil || d <= 0 || d > 5*time.Minute {
				return fmt.Errorf("%s.timeout %q: want a duration from 1ms to 5m, such as \"10s\"", field, w.Timeout)
			}
		}
	}
	return nil
}
