package cwlogs_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cwlogs"
	"github.com/sparkplane/sparkplane/internal/testenv/cwenv"
)

func TestWriteCreatesGroupAndStreamAndAppends(t *testing.T) {
	if testing.Short() {
		t.Skip("starts moto's CloudWatch Logs server")
	}
	srv := cwenv.Start(t)
	ctx := context.Background()
	c, err := cwlogs.New(ctx, cwlogs.Options{Endpoint: srv.Endpoint, Region: cwenv.Region, CredentialsFile: srv.CredentialsFile})
	if err != nil {
		t.Fatal(err)
	}
	const group, stream = "/emr-on-eks/team-a", "runs/vc/jobs/run/containers/app/pod/stdout"
	if err := c.Write(ctx, group, stream, []byte("Pi is roughly 3.14\nsecond line\n"), time.Now()); err != nil {
		t.Fatal(err)
	}
	// A second piece appends to the existing group and stream.
	if err := c.Write(ctx, group, stream, []byte("third line\n"), time.Now()); err != nil {
		t.Fatal(err)
	}
	if got := srv.Streams(group, "runs/"); len(got) != 1 || got[0] != stream {
		t.Fatalf("streams %q, want [%s]", got, stream)
	}
	got := srv.Messages(group, stream)
	if want := "Pi is roughly 3.14|second line|third line"; strings.Join(got, "|") != want {
		t.Errorf("messages %q, want %s", got, want)
	}
}

func TestNewNeedsUsableCredentials(t *testing.T) {
	ctx := context.Background()
	if _, err := cwlogs.New(ctx, cwlogs.Options{Region: "us-east-1"}); err == nil || !strings.Contains(err.Error(), "no credentials file") {
		t.Errorf("no credentials file: err %v", err)
	}
	empty := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(empty, []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := cwlogs.New(ctx, cwlogs.Options{Region: "us-east-1", CredentialsFile: empty}); err == nil || !strings.Contains(err.Error(), "no aws_access_key_id") {
		t.Errorf("profile without keys: err %v", err)
	}
	if _, err := cwlogs.New(ctx, cwlogs.Options{CredentialsFile: empty}); err == nil || !strings.Contains(err.Error(), "no region") {
		t.Errorf("no region: err %v", err)
	}
}
