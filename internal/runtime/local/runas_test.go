package local

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

func TestLookupUserSaysHowToFix(t *testing.T) {
	_, err := lookupUser("sparkplane-no-such-user", "arn:aws:iam::123456789012:role/r")
	se, ok := runtime.AsSubmitError(err)
	if !ok || se.Reason != emr.FailureClusterUnavailable || !strings.Contains(se.Message, "useradd --system") ||
		!strings.Contains(se.Message, "sparkplane-no-such-user") {
		t.Errorf("missing user: %v, want a CLUSTER_UNAVAILABLE SubmitError naming it and how to create it", err)
	}
	if _, err := lookupUser("root", "arn:aws:iam::123456789012:role/r"); err == nil || !strings.Contains(err.Error(), "uid 0") {
		t.Errorf("root: %v, want refused", err)
	}
}

// The wrapper records the exit code in the run folder it is given, not in
// the job's current folder, with the job's umask.
func TestWrapperRecordsExitInRunFolder(t *testing.T) {
	rec, work := t.TempDir(), t.TempDir()
	cmd := exec.Command("/bin/sh", "-c", wrapper, "sh", rec, "077", "/bin/sh", "-c", "echo x > made; exit 3")
	cmd.Dir = work
	if err := cmd.Run(); err == nil {
		t.Fatal("wrapper exited 0, want 3")
	}
	if got := readExitCode(rec); got != 3 {
		t.Errorf("exit record %d, want 3", got)
	}
	if _, err := os.Stat(filepath.Join(work, fileExit)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("exit record in the working folder: %v", err)
	}
	if st, err := os.Stat(filepath.Join(work, "made")); err != nil || st.Mode().Perm() != 0o600 {
		t.Errorf("file the job made: %v %v, want 0600 (umask 077)", st.Mode(), err)
	}
}

// An isolated run's environment: its own HOME, user, TMPDIR and
// credentials file; the rest from Options.Env (the server's allow-list).
func TestIsolatedEnv(t *testing.T) {
	r := New(Options{Env: []string{"PATH=/usr/bin", "HOME=/root", "USER=root", "LOGNAME=root", "TMPDIR=/tmp", "LANG=C.UTF-8"}})
	j := &jobStart{work: "/w/vc/run/attempt-1"}
	env := r.env(j, "/data/runs/vc/run", "/w/vc/run/attempt-1/aws-credentials", &jobUser{name: "sparkplane-job", uid: 999, gid: 999}, r.opts.Dist)
	for _, want := range []string{"PATH=/usr/bin", "LANG=C.UTF-8", "HOME=/w/vc/run/attempt-1", "USER=sparkplane-job", "LOGNAME=sparkplane-job",
		"TMPDIR=/w/vc/run/attempt-1/tmp", "AWS_EC2_METADATA_DISABLED=true", "AWS_SHARED_CREDENTIALS_FILE=/w/vc/run/attempt-1/aws-credentials",
		envRunKey + "=/data/runs/vc/run"} {
		if !slices.Contains(env, want) {
			t.Errorf("env lacks %s: %q", want, env)
		}
	}
	for _, kv := range env {
		if strings.Contains(kv, "=root") || kv == "TMPDIR=/tmp" {
			t.Errorf("env has the server's %s", kv)
		}
	}
}

// The working folders: root's 0711 folders down to the run, the attempt's
// folder and files its user's alone; a link or a folder others may write
// on the way is refused.
func TestWorkFolderLayout(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("changing owners needs root (euid 0)")
	}
	u, err := lookupUser("nobody", "arn:aws:iam::123456789012:role/r")
	if err != nil {
		t.Skip(err)
	}
	root := filepath.Join(t.TempDir(), "work")
	creds := filepath.Join(t.TempDir(), "creds")
	if err := os.WriteFile(creds, []byte("[default]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	run := &emr.JobRun{ID: "run1", VirtualClusterID: "vc1"}
	dir := workPath(root, run)
	copied, err := prepareWork(root, dir, u, []byte("spark.x 1\n"), creds, nil)
	if err != nil {
		t.Fatal(err)
	}
	want := []struct {
		path string
		mode os.FileMode
		uid  int
	}{
		{root, 0o711, 0}, {filepath.Join(root, "vc1"), 0o711, 0}, {filepath.Join(root, "vc1", "run1"), 0o711, 0},
		{dir, 0o700, u.uid}, {filepath.Join(dir, "tmp"), 0o700, u.uid},
		{filepath.Join(dir, fileDefaults), 0o600, u.uid}, {copied, 0o600, u.uid},
	}
	for _, w := range want {
		st, err := os.Lstat(w.path)
		if err != nil {
			t.Fatal(err)
		}
		if uid := int(st.Sys().(*syscall.Stat_t).Uid); st.Mode().Perm() != w.mode || uid != w.uid {
			t.Errorf("%s: %v uid %d, want %v uid %d", w.path, st.Mode().Perm(), uid, w.mode, w.uid)
		}
	}
	if copied != filepath.Join(dir, fileCredentials) {
		t.Errorf("credentials copied to %s", copied)
	}

	// A link planted where a virtual cluster's folder goes is refused.
	if err := os.Symlink(t.TempDir(), filepath.Join(root, "vc2")); err != nil {
		t.Fatal(err)
	}
	if _, err := prepareWork(root, workPath(root, &emr.JobRun{ID: "run1", VirtualClusterID: "vc2"}), u, nil, "", nil); err == nil {
		t.Error("a link on the way was followed")
	}
	// So is a folder another user owns.
	if err := os.Mkdir(filepath.Join(root, "vc3"), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chown(filepath.Join(root, "vc3"), u.uid, u.gid); err != nil {
		t.Fatal(err)
	}
	if _, err := prepareWork(root, workPath(root, &emr.JobRun{ID: "run1", VirtualClusterID: "vc3"}), u, nil, "", nil); err == nil {
		t.Error("a folder of the job's user on the way was used")
	}
}

// probe checks as the job's user: a folder of root's alone is out of reach.
func TestProbe(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("running as another user needs root (euid 0)")
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		t.Skip(err)
	}
	u, err := lookupUser("nobody", "arn:aws:iam::123456789012:role/r")
	if err != nil {
		t.Skip(err)
	}
	private := t.TempDir()
	if err := os.Chmod(filepath.Dir(private), 0o711); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(private, 0o700); err != nil {
		t.Fatal(err)
	}
	bad, err := probe(u.setpriv(setpriv), []string{"x:/bin/sh", "r:/etc/passwd", "r:" + private, "r:/etc/hostname"})
	if err != nil || bad != private {
		t.Errorf("probe = %q, %v; want %s", bad, err, private)
	}
	if bad, err := probe(u.setpriv(setpriv), []string{"x:/bin/sh", "r:/etc/passwd"}); bad != "" || err != nil {
		t.Errorf("probe = %q, %v; want nothing out of reach", bad, err)
	}
}
