// Package audit keeps the audit trail of a sparkplane server: one JSON line
// per call that changed something or was refused, appended to a file only
// the server's user can read and written to the server's log.
package audit

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/sparkplane/sparkplane/internal/api"
)

// Trail appends audit records to a file.
type Trail struct {
	mu  sync.Mutex
	f   *os.File
	log *slog.Logger
}

// Open opens (creating it 0600, with its folder 0700) the audit file at path.
func Open(path string, log *slog.Logger) (*Trail, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("audit log folder: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open audit log: %w", err)
	}
	if err := f.Chmod(0o600); err != nil { // an older file may be wider
		f.Close()
		return nil, fmt.Errorf("audit log permissions: %w", err)
	}
	return &Trail{f: f, log: log}, nil
}

// Record appends ev as one line and logs it. A record that cannot be
// written is logged as an error: the call it describes has happened.
func (t *Trail) Record(ev *api.AuditEvent) {
	b, err := json.Marshal(ev)
	if err != nil {
		t.log.Error("audit record not encoded", "event", ev.EventName, "err", err)
		return
	}
	level := slog.LevelInfo
	if ev.ErrorCode != "" && ev.HTTPStatus == 403 {
		level = slog.LevelWarn
	}
	t.log.Log(context.Background(), level, "audit", "event", ev.EventName, "caller", ev.UserIdentity.ARN, "source", ev.SourceIPAddress,
		"error", ev.ErrorCode, "requestId", ev.RequestID)
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := t.f.Write(append(b, '\n')); err != nil {
		t.log.Error("audit record not written", "event", ev.EventName, "err", err)
	}
}

// Close closes the file.
func (t *Trail) Close() error { return t.f.Close() }
