package sparkui

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/objectstore"
)

func TestAppID(t *testing.T) {
	for entry, want := range map[string]string{
		"eventlog_v2_local-1733351234567":     "local-1733351234567",
		"eventlog_v2_spark-0123456789abcdef":  "spark-0123456789abcdef",
		"local-1733351234567":                 "local-1733351234567",
		"local-1733351234567.inprogress":      "local-1733351234567",
		"spark-abc.zstd":                      "spark-abc",
		"application_1_0001_1.lz4.inprogress": "application_1_0001_1",
		"appstatus_local-1":                   "",
		".hidden":                             "",
		"eventlog_v2_../x":                    "",
		"eventlog_v2_":                        "",
		"weird name":                          "",
	} {
		if got := AppID(entry); got != want {
			t.Errorf("AppID(%q) = %q, want %q", entry, got, want)
		}
	}
}

func TestS3LogsGroupsApplications(t *testing.T) {
	p := "s3://b/logs/vc/jobs/j/sparklogs/"
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	logs := s3Logs(p, []objectstore.Object{
		{URI: p + "eventlog_v2_spark-old/events_1_spark-old", Modified: t0},
		{URI: p + "eventlog_v2_spark-old/appstatus_spark-old", Modified: t0},
		{URI: p + "eventlog_v2_spark-new/events_1_spark-new", Modified: t0.Add(time.Minute)},
		{URI: p + "eventlog_v2_spark-new/appstatus_spark-new", Modified: t0.Add(time.Minute)},
		{URI: p + "eventlog_v2_spark-x/../../escape", Modified: t0.Add(time.Hour)},
		{URI: p + "junk file", Modified: t0.Add(time.Hour)},
	})
	if len(logs) != 2 {
		t.Fatalf("%d applications: %+v", len(logs), logs)
	}
	n := newest(logs)
	if n.appID != "spark-new" || len(n.objects) != 2 || n.objects["eventlog_v2_spark-new/events_1_spark-new"] == "" {
		t.Errorf("newest: %+v", n)
	}
}

// TestCopyTreeIsSafe: a job's folder may hold links (to files it may not
// read) and FIFOs (which would block a reader): they are skipped, regular
// files and folders are copied 0600/0700, and the total is bounded.
func TestCopyTreeIsSafe(t *testing.T) {
	src, dst := t.TempDir(), filepath.Join(t.TempDir(), "copy")
	secret := filepath.Join(t.TempDir(), "secret")
	must(t, os.WriteFile(secret, []byte("secret"), 0o600))
	must(t, os.MkdirAll(filepath.Join(src, "eventlog_v2_local-1"), 0o777))
	must(t, os.WriteFile(filepath.Join(src, "eventlog_v2_local-1", "events_1_local-1"), []byte("{}\n"), 0o777))
	must(t, os.Symlink(secret, filepath.Join(src, "eventlog_v2_local-1", "appstatus_local-1")))
	must(t, os.Symlink(filepath.Dir(secret), filepath.Join(src, "eventlog_v2_local-2")))
	must(t, syscall.Mkfifo(filepath.Join(src, "local-3"), 0o600))
	must(t, copyTree(src, dst, 1<<20))
	b, err := os.ReadFile(filepath.Join(dst, "eventlog_v2_local-1", "events_1_local-1"))
	if err != nil || string(b) != "{}\n" {
		t.Fatalf("copied event log: %q %v", b, err)
	}
	if st, _ := os.Stat(filepath.Join(dst, "eventlog_v2_local-1", "events_1_local-1")); st.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v", st.Mode())
	}
	if st, _ := os.Stat(filepath.Join(dst, "eventlog_v2_local-1")); st.Mode().Perm() != 0o700 {
		t.Errorf("folder mode %v", st.Mode())
	}
	for _, p := range []string{"eventlog_v2_local-1/appstatus_local-1", "eventlog_v2_local-2", "local-3"} {
		if _, err := os.Lstat(filepath.Join(dst, p)); err == nil {
			t.Errorf("%s was copied", p)
		}
	}
	if err := copyTree(src, filepath.Join(t.TempDir(), "small"), 2); err != errTooLarge {
		t.Errorf("copy over the bound: %v, want errTooLarge", err)
	}
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
