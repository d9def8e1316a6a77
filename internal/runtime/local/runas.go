package local

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Job isolation. With Options.Isolate (the server runs as root), a run's
// spark-submit runs as the Unix user of its execution role (Options.RunAs),
// never as root:
//
//   - <Dir>/<vc>/<run>[/attempt-N]/ (under the data dir, 0700 root) keeps
//     what the server trusts and serves: pid, exit, stdout and stderr (and
//     a copy of spark-defaults.conf). The
//     job writes stdout and stderr through the descriptors the server opened
//     and cannot reach the folder otherwise.
//   - <WorkDir>/<vc>/<run>/attempt-N/ is the job's working folder: its
//     current directory, HOME and TMPDIR, with spark-defaults.conf and the
//     role's AWS credentials file (a 0600 copy, removed when the run ends).
//     It is 0700 and owned by the run's user; the folders above it are root's
//     and 0711, so no job can plant a link where the server writes.
//
// The wrapping shell that records the exit code stays root; it starts
// spark-submit through setpriv(1) with the user's uid, gid and groups, no
// capabilities, no new privileges and umask 077, so what the job writes
// (also in /tmp) is its user's alone. Runs of one user can read each
// other's working folders: one Unix user per execution role is the unit
// of isolation.

// Identity is whom the runs of an execution role run as.
type Identity struct {
	// User is the Unix user (a name, which must have a passwd entry: the
	// JVM's login module looks it up). Used only with Options.Isolate.
	User string
	// CredentialsFile is an AWS shared credentials file the role's runs get
	// through AWS_SHARED_CREDENTIALS_FILE; empty: none.
	CredentialsFile string
}

// File of a working folder.
const fileCredentials = "aws-credentials"

// jobUser is a resolved Unix user.
type jobUser struct {
	name     string
	uid, gid int
	groups   []int
}

// lookupUser resolves name; errors are *runtime.SubmitError saying how to
// fix them.
func lookupUser(name, role string) (*jobUser, error) {
	unavailable := func(format string, args ...any) error {
		return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf(format, args...)}
	}
	if name == "" {
		return nil, unavailable("no Unix user to run execution role %s as: set local.jobUser or the role's localUser", role)
	}
	u, err := user.Lookup(name)
	if errors.As(err, new(user.UnknownUserError)) {
		return nil, unavailable("the Unix user %q that runs of execution role %s run as does not exist: create it with "+
			"`useradd --system --user-group --no-create-home --shell /usr/sbin/nologin %s` (scripts/setup.sh does for sparkplane-job)", name, role, name)
	}
	if err != nil {
		return nil, unavailable("look up Unix user %q: %v", name, err)
	}
	ju := &jobUser{name: name}
	if ju.uid, err = strconv.Atoi(u.Uid); err == nil {
		ju.gid, err = strconv.Atoi(u.Gid)
	}
	if err != nil {
		return nil, unavailable("Unix user %q: uid %s gid %s: %v", name, u.Uid, u.Gid, err)
	}
	if ju.uid == 0 {
		return nil, unavailable("Unix user %q has uid 0: jobs must not run as root; map execution role %s to an unprivileged user", name, role)
	}
	gids, err := u.GroupIds()
	if err != nil {
		return nil, unavailable("groups of Unix user %q: %v", name, err)
	}
	for _, g := range gids {
		n, err := strconv.Atoi(g)
		if err == nil && n != 0 { // never root's group, whatever /etc/group says
			ju.groups = append(ju.groups, n)
		}
	}
	return ju, nil
}

// setpriv returns the command prefix that runs what follows it as u.
func (u *jobUser) setpriv(setprivPath string) []string {
	groups := "--clear-groups"
	if len(u.groups) > 0 {
		s := make([]string, len(u.groups))
		for i, g := range u.groups {
			s[i] = strconv.Itoa(g)
		}
		groups = "--groups=" + strings.Join(s, ",")
	}
	return []string{setprivPath, "--reuid=" + strconv.Itoa(u.uid), "--regid=" + strconv.Itoa(u.gid), groups,
		"--inh-caps=-all", "--no-new-privs", "--"}
}

// workPath is the working folder of run's current attempt under root.
func workPath(root string, run *emr.JobRun) string {
	return filepath.Join(root, run.VirtualClusterID, run.ID, "attempt-"+strconv.Itoa(run.Attempt()))
}

// prepareWork makes the working folder dir of an isolated run, owned by u:
// the folders from root down to its parent are root's (0711), dir is new
// (what a failed earlier try left is removed) and holds spark-defaults.conf
// and, when creds is set, a copy of that credentials file. fill (nil: none)
// puts more into dir while it is still this process's: what it writes must
// be u's. It returns the copy's path ("" without creds).
func prepareWork(root, dir string, u *jobUser, defaults []byte, creds string, fill func() error) (string, error) {
	if err := mkdirRootOwned(root, filepath.Dir(dir)); err != nil {
		return "", err
	}
	if err := os.RemoveAll(dir); err != nil {
		return "", fmt.Errorf("clear working folder: %w", err)
	}
	if err := os.Mkdir(dir, 0o700); err != nil {
		return "", fmt.Errorf("create working folder: %w", err)
	}
	files := map[string][]byte{fileDefaults: defaults}
	var copied string
	if creds != "" {
		b, err := os.ReadFile(creds)
		if err != nil {
			return "", &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf("credentials file of the execution role: %v", err)}
		}
		files[fileCredentials], copied = b, filepath.Join(dir, fileCredentials)
	}
	for name, b := range files {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o600); err != nil {
			return "", fmt.Errorf("write %s: %w", name, err)
		}
		if err := os.Lchown(p, u.uid, u.gid); err != nil {
			return "", fmt.Errorf("chown %s: %w", name, err)
		}
	}
	if fill != nil {
		if err := fill(); err != nil {
			return "", err
		}
	}
	tmp := filepath.Join(dir, "tmp")
	if err := os.Mkdir(tmp, 0o700); err != nil {
		return "", fmt.Errorf("create working folder: %w", err)
	}
	for _, p := range []string{tmp, dir} {
		if err := os.Lchown(p, u.uid, u.gid); err != nil {
			return "", fmt.Errorf("chown working folder: %w", err)
		}
	}
	return copied, nil
}

// mkdirRootOwned makes dir and the folders between root and it, each
// owned by this process and 0711: others may pass through, not list or
// write. A folder on the way that is a link, or that another user owns or
// may write, is refused.
func mkdirRootOwned(root, dir string) error {
	rel, err := filepath.Rel(root, dir)
	if err != nil || strings.HasPrefix(rel, "..") {
		return fmt.Errorf("working folder %s is not under %s", dir, root)
	}
	if err := os.MkdirAll(root, 0o711); err != nil {
		return fmt.Errorf("create local.workDir: %w", err)
	}
	p := root
	for _, part := range append([]string{"."}, strings.Split(rel, string(filepath.Separator))...) {
		p = filepath.Join(p, part)
		if err := os.Mkdir(p, 0o711); err != nil && !errors.Is(err, os.ErrExist) {
			return fmt.Errorf("create working folder: %w", err)
		}
		st, err := os.Lstat(p)
		if err != nil {
			return fmt.Errorf("create working folder: %w", err)
		}
		if !st.IsDir() || !ownedByUs(st) || st.Mode().Perm()&0o022 != 0 {
			return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf(
				"%s (under local.workDir) must be a folder that only the server's user owns and may write", p)}
		}
		if err := os.Chmod(p, 0o711); err != nil {
			return fmt.Errorf("create working folder: %w", err)
		}
	}
	return nil
}

// probe reports the first of paths that u cannot use, checked by a shell
// running as u (so ACLs and every folder on the way count). Each path is
// prefixed with what u needs: "r:" read, "x:" execute (or pass through),
// "w:" write.
func probe(setpriv []string, paths []string) (string, error) {
	const script = `for p; do case $p in r:*) test -r "${p#r:}" ;; x:*) test -x "${p#x:}" ;; w:*) test -w "${p#w:}" ;; esac || { printf %s "${p#??}"; exit 3; }; done`
	cmd := exec.Command(setpriv[0], append(append(setpriv[1:], "/bin/sh", "-c", script, "sh"), paths...)...)
	cmd.Env = []string{"PATH=/usr/bin:/bin"}
	cmd.Dir = "/"
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	var ee *exec.ExitError
	if errors.As(err, &ee) && ee.ExitCode() == 3 {
		return out.String(), nil
	}
	if err != nil {
		return "", fmt.Errorf("check what the job user can read: %v: %s", err, strings.TrimSpace(errOut.String()))
	}
	return "", nil
}

// ownedByUs says whether this process's user owns the file st describes.
func ownedByUs(st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == os.Geteuid()
}
