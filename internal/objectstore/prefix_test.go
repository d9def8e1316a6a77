package objectstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// TestFolders: MakeFolder makes the marker S3A takes for a folder, PutFile
// uploads under it, List returns the objects below a prefix without
// markers, with the prefix's scheme; another user's bucket is refused.
func TestFolders(t *testing.T) {
	srv := s3env.Start(t)
	owner, other := srv.AddUser("owner"), srv.AddUser("other")
	srv.CreateBucketFor("logs", owner)
	c := newClient(t, srv, owner, 0)
	ctx := context.Background()
	if err := c.MakeFolder(ctx, "s3://logs/a/b/sparklogs/"); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "events")
	if err := os.WriteFile(file, []byte("{}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"a/b/sparklogs/eventlog_v2_x/events_1_x", "a/b/sparklogs/eventlog_v2_x/appstatus_x", "a/other"} {
		if err := c.PutFile(ctx, "s3://logs/"+key, file); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	objs, err := c.List(ctx, "s3a://logs/a/b/sparklogs", 0)
	if err != nil {
		t.Fatal(err)
	}
	var uris []string
	for _, o := range objs {
		uris = append(uris, o.URI)
		if o.Size != 3 || o.Modified.IsZero() {
			t.Errorf("%s: size %d modified %v", o.URI, o.Size, o.Modified)
		}
	}
	slices.Sort(uris)
	if want := []string{"s3a://logs/a/b/sparklogs/eventlog_v2_x/appstatus_x", "s3a://logs/a/b/sparklogs/eventlog_v2_x/events_1_x"}; !slices.Equal(uris, want) {
		t.Errorf("List = %v, want %v", uris, want)
	}
	if b, err := c.Read(ctx, "s3://logs/a/b/sparklogs/eventlog_v2_x/events_1_x", 0); err != nil || string(b) != "{}\n" {
		t.Errorf("read back %q %v", b, err)
	}
	denied := newClient(t, srv, other, 0)
	var oe *objectstore.Error
	if _, err := denied.List(ctx, "s3://logs/a/", 0); !errors.As(err, &oe) {
		t.Errorf("another user's List: %v, want an *Error", err)
	}
	if err := denied.PutFile(ctx, "s3://logs/a/x", file); !errors.As(err, &oe) {
		t.Errorf("another user's PutFile: %v, want an *Error", err)
	}
	for _, bad := range []string{"http://logs/a/", "s3:///a/", "s3://logs/a/?x=1"} {
		if _, _, err := objectstore.ParsePrefix(bad); err == nil {
			t.Errorf("ParsePrefix(%q) accepted", bad)
		}
	}
}
