package audit_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/audit"
)

// TestTrail: records are appended as JSON lines to a file only its owner
// can read (a wider older file is narrowed), and each is logged, refusals
// as warnings.
func TestTrail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "logs", "audit.log")
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("{\"eventName\":\"Earlier\"}\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	var logged bytes.Buffer
	tr, err := audit.Open(path, slog.New(slog.NewTextHandler(&logged, nil)))
	if err != nil {
		t.Fatal(err)
	}
	tr.Record(&api.AuditEvent{EventName: "StartJobRun", HTTPStatus: 200, UserIdentity: api.UserIdentity{ARN: "arn:aws:iam::123456789012:user/alice"}})
	tr.Record(&api.AuditEvent{EventName: "DeleteVirtualCluster", HTTPStatus: 403, ErrorCode: "AccessDeniedException"})
	if err := tr.Close(); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("audit log mode %v; want 0600", fi.Mode().Perm())
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines; want the earlier one and two new:\n%s", len(lines), b)
	}
	var ev api.AuditEvent
	if err := json.Unmarshal([]byte(lines[2]), &ev); err != nil || ev.EventName != "DeleteVirtualCluster" || ev.ErrorCode != "AccessDeniedException" {
		t.Errorf("last record %q (%v)", lines[2], err)
	}
	if !strings.Contains(logged.String(), "level=INFO msg=audit event=StartJobRun caller=arn:aws:iam::123456789012:user/alice") ||
		!strings.Contains(logged.String(), "level=WARN msg=audit event=DeleteVirtualCluster") {
		t.Errorf("log:\n%s", logged.String())
	}
}
