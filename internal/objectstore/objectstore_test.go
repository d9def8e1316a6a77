package objectstore_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

func newClient(t *testing.T, srv *s3env.Server, creds s3env.Credentials, max int64) *objectstore.Client {
	t.Helper()
	c, err := objectstore.New(context.Background(), objectstore.Options{Endpoint: srv.Endpoint, Region: srv.Region,
		PathStyle: true, CredentialsFile: srv.CredentialsFile(creds), MaxSize: max})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFetch(t *testing.T) {
	srv := s3env.Start(t)
	srv.CreateBucket("code")
	srv.Put("code", "jobs/app.py", []byte("print('hi')\n"))
	srv.Put("code", "big.jar", make([]byte, 2048))
	c := newClient(t, srv, srv.Root(), 1024)
	dir := t.TempDir()

	for _, uri := range []string{"s3://code/jobs/app.py", "s3a://code/jobs/app.py", "s3n://code/jobs/app.py"} {
		dest := filepath.Join(dir, strings.SplitN(uri, ":", 2)[0]+".py")
		if err := c.Fetch(context.Background(), uri, dest); err != nil {
			t.Fatalf("%s: %v", uri, err)
		}
		if b, err := os.ReadFile(dest); err != nil || string(b) != "print('hi')\n" {
			t.Errorf("%s: got %q, %v", uri, b, err)
		}
	}

	for _, tc := range []struct{ uri, code, msg string }{
		{"s3://code/jobs/none.py", "NoSuchKey", "s3://code/jobs/none.py: NoSuchKey: The specified key does not exist."},
		{"s3://nobucket/app.py", "NoSuchBucket", "s3://nobucket/app.py: NoSuchBucket: "},
		{"s3://code/big.jar", objectstore.CodeTooLarge, "at most 1024"},
	} {
		dest := filepath.Join(dir, "out")
		err := c.Fetch(context.Background(), tc.uri, dest)
		var oe *objectstore.Error
		if !errors.As(err, &oe) || oe.Code != tc.code || !strings.Contains(err.Error(), tc.msg) {
			t.Errorf("%s: %v, want an *Error %s containing %q", tc.uri, err, tc.code, tc.msg)
		}
		if _, err := os.Lstat(dest); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s: a failed fetch left %s", tc.uri, dest)
		}
	}

	// An existing file (or a link planted there) is never written through.
	link := filepath.Join(dir, "link")
	if err := os.Symlink(filepath.Join(dir, "target"), link); err != nil {
		t.Fatal(err)
	}
	if err := c.Fetch(context.Background(), "s3://code/jobs/app.py", link); err == nil {
		t.Error("fetched through a link")
	}
	if _, err := os.Stat(filepath.Join(dir, "target")); err == nil {
		t.Error("the link's target was written")
	}
}

// TestFetchCapWithoutLength: the cap holds when the server does not say
// how long the object is up front.
func TestFetchCapWithoutLength(t *testing.T) {
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		for range 4 {
			w.Write(make([]byte, 512))
			w.(http.Flusher).Flush() // chunked: no Content-Length
		}
	}))
	defer ts.Close()
	c, err := objectstore.New(context.Background(), objectstore.Options{Endpoint: ts.URL, PathStyle: true, MaxSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	dest := filepath.Join(t.TempDir(), "big")
	err = c.Fetch(context.Background(), "s3://b/big", dest)
	var oe *objectstore.Error
	if !errors.As(err, &oe) || oe.Code != objectstore.CodeTooLarge {
		t.Errorf("%v, want %s", err, objectstore.CodeTooLarge)
	}
	if _, err := os.Lstat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Error("the partial file was left")
	}
}

// TestFetchUnreachable: an endpoint that does not answer is no *Error:
// trying again may help.
func TestFetchUnreachable(t *testing.T) {
	c, err := objectstore.New(context.Background(), objectstore.Options{Endpoint: "http://127.0.0.1:1", PathStyle: true})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err = c.Fetch(ctx, "s3://b/k", filepath.Join(t.TempDir(), "k"))
	var oe *objectstore.Error
	if err == nil || errors.As(err, &oe) {
		t.Errorf("unreachable endpoint: %v, want an error that is not an *Error", err)
	}
}

func TestCredentialsFile(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	ok := write("ok", "[other]\naws_access_key_id = A\naws_secret_access_key = B\n[default]\naws_access_key_id = AK\naws_secret_access_key = SK\naws_session_token = T\n")
	noKeys := write("nokeys", "[default]\nregion = eu-west-1\n")
	for _, tc := range []struct {
		file, profile, wantErr string
	}{
		{ok, "", ""},
		{ok, "other", ""},
		{ok, "missing", "missing"},
		{noKeys, "", "no aws_access_key_id"},
		{filepath.Join(dir, "absent"), "", "no such file"},
	} {
		_, err := objectstore.New(context.Background(), objectstore.Options{CredentialsFile: tc.file, Profile: tc.profile})
		if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
			t.Errorf("%s [%s]: %v, want error %q", filepath.Base(tc.file), tc.profile, err, tc.wantErr)
		}
	}
}

func TestParseURI(t *testing.T) {
	for _, tc := range []struct{ uri, bucket, key string }{
		{"s3://b/app.py", "b", "app.py"},
		{"s3a://b/a/b/c.zip", "b", "a/b/c.zip"},
		{"s3n://b/x", "b", "x"},
		{"s3://b/", "", ""},
		{"s3://b", "", ""},
		{"s3:///k", "", ""},
		{"s3://b/dir/", "", ""},
		{"file:///x", "", ""},
	} {
		b, k, err := objectstore.ParseURI(tc.uri)
		if b != tc.bucket || k != tc.key || (err == nil) != (tc.bucket != "") {
			t.Errorf("ParseURI(%q) = %q, %q, %v", tc.uri, b, k, err)
		}
	}
}

// TestFetchDenied: credentials that may not read a bucket get S3's
// AccessDenied as an *Error, and nothing is written.
func TestFetchDenied(t *testing.T) {
	srv := s3env.Start(t)
	srv.CreateBucket("private") // the root account's: other users are refused
	srv.Put("private", "app.py", []byte("print(1)\n"))
	c := newClient(t, srv, srv.AddUser("other"), 0)
	dest := filepath.Join(t.TempDir(), "app.py")
	err := c.Fetch(context.Background(), "s3://private/app.py", dest)
	var oe *objectstore.Error
	if !errors.As(err, &oe) || oe.Code != "AccessDenied" || !strings.Contains(err.Error(), "s3://private/app.py: AccessDenied") {
		t.Errorf("fetch as another user: %v; want an *Error AccessDenied", err)
	}
	if _, err := os.Lstat(dest); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a denied fetch left %s", dest)
	}
}

// TestRead: an object's content, within a limit of its own below
// Options.MaxSize; S3's refusals as *Error.
func TestRead(t *testing.T) {
	srv := s3env.Start(t)
	srv.CreateBucket("code")
	srv.Put("code", "t.yaml", []byte("kind: Pod\n"))
	srv.Put("code", "big.yaml", make([]byte, 2048))
	c := newClient(t, srv, srv.Root(), 4096)
	if b, err := c.Read(context.Background(), "s3://code/t.yaml", 1024); err != nil || string(b) != "kind: Pod\n" {
		t.Errorf("read: %q, %v", b, err)
	}
	for _, tc := range []struct {
		uri   string
		limit int64
		code  string
	}{
		{"s3://code/big.yaml", 1024, objectstore.CodeTooLarge},
		{"s3://code/none.yaml", 1024, "NoSuchKey"},
	} {
		_, err := c.Read(context.Background(), tc.uri, tc.limit)
		var oe *objectstore.Error
		if !errors.As(err, &oe) || oe.Code != tc.code {
			t.Errorf("%s: %v, want an *Error %s", tc.uri, err, tc.code)
		}
	}
	if b, err := c.Read(context.Background(), "s3://code/big.yaml", 0); err != nil || len(b) != 2048 {
		t.Errorf("read without a limit of its own: %d bytes, %v", len(b), err)
	}
}
