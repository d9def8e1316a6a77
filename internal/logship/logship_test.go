package logship

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/objectstore"
)

func TestParseSize(t *testing.T) {
	for in, want := range map[string]int64{"2KB": 2048, "10 MB": -1, "10MB": 10 << 20, "1.5G": 3 << 29, "2Gb": 2 << 30, "3K": 3072, "KB": -1, "5TB": -1, "1e3KB": -1} {
		got, err := ParseSize(in)
		if want < 0 {
			if err == nil {
				t.Errorf("ParseSize(%q) = %d, want an error", in, got)
			}
			continue
		}
		if err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
}

func TestKeys(t *testing.T) {
	started := time.Date(2026, 12, 4, 23, 59, 0, 0, time.FixedZone("x", -3600))
	runner := Container{VirtualClusterID: "vc", JobRunID: "job", Role: RoleJobRunner, Pod: "job-abcde", Started: started}
	exec := Container{VirtualClusterID: "vc", JobRunID: "job", Role: RoleExecutor, AppID: "spark-123", Pod: "pi-exec-1", Started: started}
	for _, tc := range []struct {
		uri  string
		p    Piece
		want string
	}{
		{"s3://b/logs/", Piece{Container: runner, Stream: Stderr}, "b/logs/vc/jobs/job/control-logs/job-abcde/stderr.gz"},
		{"s3://b", Piece{Container: exec, Stream: Stdout, Final: true}, "b/vc/jobs/job/containers/spark-123/pi-exec-1/stdout.gz"},
		{"s3a://b/a/b", Piece{Container: exec, Stream: Stdout, Index: 4, Rotated: true}, "b/a/b/vc/jobs/job/containers/spark-123/pi-exec-1/stdout_20261205_4.gz"},
	} {
		bucket, prefix, err := runPrefix(tc.uri, "vc", "job")
		if err != nil {
			t.Fatal(err)
		}
		if got := bucket + "/" + prefix + containerDir(tc.p.Container) + objectName(tc.p); got != tc.want {
			t.Errorf("%s %+v: key %s, want %s", tc.uri, tc.p, got, tc.want)
		}
	}
	if _, _, err := runPrefix("https://b/x", "vc", "job"); err == nil {
		t.Error("an https logUri was accepted")
	}
}

// memStore is an in-memory bucket.
type memStore map[string][]byte

func (m memStore) Put(_ context.Context, bucket, key string, data []byte, _ string) error {
	m[bucket+"/"+key] = data
	return nil
}
func (m memStore) Delete(_ context.Context, bucket, key string) error {
	delete(m, bucket+"/"+key)
	return nil
}
func (m memStore) List(_ context.Context, uri string, _ int) ([]objectstore.Object, error) {
	var out []objectstore.Object
	for k := range m {
		if strings.HasPrefix("s3://"+k, uri) {
			out = append(out, objectstore.Object{URI: "s3://" + k})
		}
	}
	return out, nil
}
func (m memStore) Get(_ context.Context, bucket, key string, _ int64) ([]byte, error) {
	b, ok := m[bucket+"/"+key]
	if !ok {
		return nil, fmt.Errorf("no %s", key)
	}
	return b, nil
}

func (m memStore) keys() []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func gunzip(t *testing.T, b []byte) string {
	t.Helper()
	r, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	out, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}

// chatty is a log of n numbered lines.
func chatty(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		fmt.Fprintf(&b, "line %05d of a chatty job\n", i)
	}
	return b.Bytes()
}

// TestRotationKeepsLastFiles ships a 13 KB log cut at 2 KB keeping 3
// files, written in uneven bursts and synced after each: the stream's S3
// folder ends with exactly 3 objects, the current one and the 2 rotated
// before it, which read back as the log's end; shipping the whole file
// again at once (a restarted server) puts the same names.
func TestRotationKeepsLastFiles(t *testing.T) {
	ctx := context.Background()
	log := chatty(500) // 13 000 bytes
	path := filepath.Join(t.TempDir(), "stdout")
	store := memStore{}
	dest, err := NewS3(store, "s3://b/logs", "vc", "job", Rotation{Size: 2048, Keep: 3})
	if err != nil {
		t.Fatal(err)
	}
	c := Container{VirtualClusterID: "vc", JobRunID: "job", Role: RoleDriver, AppID: "spark-1", Pod: "spark-job-driver", Started: time.Date(2026, 12, 4, 1, 0, 0, 0, time.UTC)}
	s := NewStream(dest, c, Stdout, path, Rotation{Size: 2048, Keep: 3}, time.Nanosecond)
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	for rest := log; len(rest) > 0; {
		n := min(len(rest), 777)
		f.Write(rest[:n])
		rest = rest[n:]
		if err := s.Sync(ctx, false); err != nil {
			t.Fatal(err)
		}
	}
	f.Close()
	if err := s.Sync(ctx, true); err != nil {
		t.Fatal(err)
	}
	keys := store.keys()
	dir := "b/logs/vc/jobs/job/containers/spark-1/spark-job-driver/"
	if want := []string{dir + "stdout.gz", dir + "stdout_20261204_4.gz", dir + "stdout_20261204_5.gz"}; !slices.Equal(keys, want) {
		t.Fatalf("objects %v, want %v", keys, want)
	}
	var kept string
	for _, k := range []string{keys[1], keys[2], keys[0]} {
		p := gunzip(t, store[k])
		if len(p) > 2048 || (k != keys[0] && !strings.HasSuffix(p, "\n")) {
			t.Errorf("piece %s has %d bytes or does not end a line", k, len(p))
		}
		kept += p
	}
	if !strings.HasSuffix(string(log), kept) || len(kept) < 4096 {
		t.Errorf("kept %d bytes that are not the log's end", len(kept))
	}
	r, err := NewReader(store, "s3://b/logs/", "vc", "job")
	if err != nil {
		t.Fatal(err)
	}
	cs, err := r.Containers(ctx)
	if err != nil || len(cs) != 1 || cs[0].Role != RoleDriver || cs[0].AppID != "spark-1" {
		t.Fatalf("containers %+v, %v", cs, err)
	}
	got, err := r.Read(ctx, cs[0], Stdout)
	if err != nil || string(got) != kept {
		t.Fatalf("read %d bytes (%v), want the %d kept", len(got), err, len(kept))
	}

	again := memStore{}
	dest2, _ := NewS3(again, "s3://b/logs", "vc", "job", Rotation{Size: 2048, Keep: 3})
	if err := NewStream(dest2, c, Stdout, path, Rotation{Size: 2048, Keep: 3}, 0).Sync(ctx, true); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(again.keys(), keys) {
		t.Errorf("shipped again as %v, first as %v", again.keys(), keys)
	}
	for _, k := range keys {
		if gunzip(t, again[k]) != gunzip(t, store[k]) {
			t.Errorf("%s differs when shipped again", k)
		}
	}
}

// TestNoRotationOneObject: without rotation a stream is one object, put
// while it grows and complete at the end; a missing file is an empty one.
func TestNoRotationOneObject(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "stderr")
	store := memStore{}
	dest, _ := NewS3(store, "s3://b", "vc", "job", Rotation{})
	c := Container{VirtualClusterID: "vc", JobRunID: "job", Role: RoleJobRunner, Pod: "job-x"}
	s := NewStream(dest, c, Stderr, path, Rotation{}, time.Hour)
	os.WriteFile(path, []byte("first\n"), 0o600)
	if err := s.Sync(ctx, false); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(path, []byte("first\nsecond\n"), 0o600)
	s.Sync(ctx, false) // within the interval: not put again
	key := "b/vc/jobs/job/control-logs/job-x/stderr.gz"
	if got := gunzip(t, store[key]); got != "first\n" {
		t.Fatalf("during the run %s holds %q", key, got)
	}
	s.Sync(ctx, true)
	if got := gunzip(t, store[key]); got != "first\nsecond\n" || len(store) != 1 {
		t.Fatalf("at the end %v; %s holds %q", store.keys(), key, got)
	}
	empty := NewStream(dest, c, Stdout, filepath.Join(t.TempDir(), "none"), Rotation{}, 0)
	if err := empty.Sync(ctx, true); err != nil || gunzip(t, store["b/vc/jobs/job/control-logs/job-x/stdout.gz"]) != "" {
		t.Fatalf("a missing file: %v, %v", err, store.keys())
	}
}
