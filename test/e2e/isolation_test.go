package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/config"
)

// prober is a PySpark entry point that reports, on one stdout line, whom
// it runs as, its environment, the credentials file it was given, and what
// became of opening each path of its arguments ("ok" or the errno's name;
// a "w:" prefix opens the path for writing). With --keep NAME first it
// leaves a private file NAME in its working folder.
const prober = `
import errno, json, os, sys
args = sys.argv[1:]
if args[:1] == ["--keep"]:
    with open(args[1], "w") as f:
        f.write("private to this role")
    args = args[2:]

def attempt(p):
    try:
        if p.startswith("w:"):
            open(p[2:], "w").close()
            return "ok"
        try:
            os.listdir(p)
        except NotADirectoryError:
            open(p, "rb").read(1)
        return "ok"
    except OSError as e:
        return errno.errorcode.get(e.errno, str(e.errno))

out = {"uid": os.getuid(), "euid": os.geteuid(), "cwd": os.getcwd(), "env": dict(os.environ),
       "open": {p: attempt(p) for p in args}}
creds = os.environ.get("AWS_SHARED_CREDENTIALS_FILE")
if creds:
    st = os.stat(creds)
    out["creds"] = {"content": open(creds).read(), "mode": st.st_mode & 0o777, "uid": st.st_uid}
print("ISOLATION " + json.dumps(out), flush=True)
`

// isolationReport is what prober printed.
type isolationReport struct {
	UID   int               `json:"uid"`
	EUID  int               `json:"euid"`
	CWD   string            `json:"cwd"`
	Env   map[string]string `json:"env"`
	Open  map[string]string `json:"open"`
	Creds *struct {
		Content string `json:"content"`
		Mode    int    `json:"mode"`
		UID     int    `json:"uid"`
	} `json:"creds"`
}

// Server secrets the isolation test starts the server with.
var serverSecrets = map[string]string{
	"PGPASSWORD":             "s3cr3t-server-pg",
	"AWS_ACCESS_KEY_ID":      "AKIASERVERSERVER",
	"AWS_SECRET_ACCESS_KEY":  "s3cr3t-server-aws",
	"SPARKPLANE_TEST_SECRET": "s3cr3t-server-sparkplane",
}

// With the server as root, a job runs as its execution role's Unix user:
// not root, with none of the server's environment, its own HOME, its
// role's credentials file alone, and no way into the data dir (the store,
// which holds the page-token key, and the run folders) or into the working
// folder of a run of another role.
func TestJobRunsIsolatedFromServerAndOtherRoles(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("job isolation needs a server running as root (euid 0); this test runs as uid " + strconv.Itoa(os.Geteuid()))
	}
	jobUser := lookupUser(t, config.DefaultJobUser)
	other := lookupUser(t, "nobody")
	for k, v := range serverSecrets {
		t.Setenv(k, v)
	}
	const (
		roleA = "arn:aws:iam::123456789012:role/isolation-a" // Local.JobUser, with a credentials file
		roleB = "arn:aws:iam::123456789012:role/isolation-b" // nobody, without
	)
	credsFile := filepath.Join(t.TempDir(), "role-a-credentials")
	const roleACreds = "[default]\naws_access_key_id = AKIAROLEAROLEAROLEA\naws_secret_access_key = role-a-secret\n"
	if err := os.WriteFile(credsFile, []byte(roleACreds), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServerWith(t, "", func(c *config.Config) {
		c.Security.ExecutionRoles = []config.ExecutionRole{{ARN: roleA, CredentialsFile: credsFile}, {ARN: roleB, LocalUser: "nobody"}}
	})
	vc := createVC(t, s.Client, "isolation", "default")
	app := "file://" + writeApp(t, "prober.py", prober)

	// A run of role B leaves a private file in its working folder.
	idB := startJobAs(t, s.Client, vc, roleB, app, "--keep", "b-private.txt")
	waitCompleted(t, s, vc, idB)
	b := report(t, s, vc, idB)
	workB := filepath.Join(jobsDir(), vc, idB, "attempt-1")
	if b.UID != other || b.CWD != workB || b.Creds != nil {
		t.Errorf("role B's run: uid %d cwd %s creds %+v; want uid %d (nobody) in %s without credentials", b.UID, b.CWD, b.Creds, other, workB)
	}

	// A run of role A tries the server's files and role B's.
	protected := []string{
		s.DataDir,
		filepath.Join(s.DataDir, "sparkplane.db"), // the store, with the page-token key (secrets table)
		filepath.Join(s.DataDir, "runs", vc, idB, "stdout"),
		"w:" + filepath.Join(s.DataDir, "runs", vc, idB, "exit"),
		workB,
		filepath.Join(workB, "b-private.txt"),
		credsFile,
		"/root",
	}
	idA := startJobAs(t, s.Client, vc, roleA, app, protected...)
	waitCompleted(t, s, vc, idA)
	a := report(t, s, vc, idA)

	// (c) not root: role A's user.
	if a.UID == 0 || a.EUID == 0 || a.UID != jobUser {
		t.Errorf("job ran as uid %d euid %d, want %s (%d)", a.UID, a.EUID, config.DefaultJobUser, jobUser)
	}
	// (a) no server secret in its environment; HOME is its own folder.
	workA := filepath.Join(jobsDir(), vc, idA, "attempt-1")
	for k, v := range a.Env {
		for name, secret := range serverSecrets {
			if strings.Contains(v, secret) || k == name {
				t.Errorf("the job's environment has %s=%s (the server's %s)", k, v, name)
			}
		}
		if strings.HasPrefix(k, "PG") || (strings.HasPrefix(k, "SPARKPLANE_") && k != "SPARKPLANE_JOB_RUN") {
			t.Errorf("the job's environment has %s=%s", k, v)
		}
	}
	if a.Env["HOME"] != workA || a.CWD != workA || a.Env["USER"] != config.DefaultJobUser {
		t.Errorf("HOME %q cwd %q USER %q, want its working folder %s and %s", a.Env["HOME"], a.CWD, a.Env["USER"], workA, config.DefaultJobUser)
	}
	// Its role's credentials, a 0600 copy of its own.
	if a.Creds == nil || a.Creds.Content != roleACreds || a.Creds.Mode != 0o600 || a.Creds.UID != jobUser {
		t.Errorf("credentials file %+v: want role A's, 0600, owned by uid %d", a.Creds, jobUser)
	}
	if _, err := os.Stat(filepath.Join(workA, "aws-credentials")); !os.IsNotExist(err) {
		t.Errorf("the copy of role A's credentials is still there after the run: %v", err)
	}
	// (b) the server's files and role B's: permission denied.
	for p, got := range a.Open {
		if got != "EACCES" {
			t.Errorf("the job opened %s: %s, want EACCES", p, got)
		}
	}
	if len(a.Open) != len(protected) {
		t.Errorf("the job reports %d paths, want %d: %v", len(a.Open), len(protected), a.Open)
	}
	// What the server relies on is the server's: the records of B are intact.
	if got := readFile(t, filepath.Join(s.DataDir, "runs", vc, idB, "exit")); got != "0" {
		t.Errorf("role B's exit record is %q", got)
	}
	// And its stdout, written through the server's descriptors, is served.
	if !strings.Contains(getLog(t, s.URL, vc, idA, "stdout"), "ISOLATION ") {
		t.Error("stdout of role A's run not served")
	}
}

// The data dir is the server's alone: 0700, the store's files 0600.
func TestDataDirIsPrivate(t *testing.T) {
	s := startServer(t, "")
	for _, p := range []string{s.DataDir, filepath.Join(s.DataDir, "runs")} {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o700 {
			t.Errorf("%s: %v %v, want 0700", p, st.Mode(), err)
		}
	}
	matches, _ := filepath.Glob(filepath.Join(s.DataDir, "sparkplane.db*"))
	if len(matches) == 0 {
		t.Fatal("no store files")
	}
	for _, p := range matches {
		if st, err := os.Stat(p); err != nil || st.Mode().Perm() != 0o600 {
			t.Errorf("%s: %v %v, want 0600", p, st.Mode(), err)
		}
	}
}

// startJobAs starts entryPoint with role as its execution role, small
// (one executor, a 512 MiB driver).
func startJobAs(t *testing.T, c *emrcontainers.Client, vcID, role, entryPoint string, args ...string) string {
	t.Helper()
	out, err := c.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vcID),
		Name:             aws.String("as-role"),
		ExecutionRoleArn: aws.String(role),
		ReleaseLabel:     aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(entryPoint),
			EntryPointArguments:   args,
			SparkSubmitParameters: aws.String("--conf spark.executor.instances=1 --conf spark.driver.memory=512m"),
		}},
	})
	if err != nil {
		t.Fatalf("StartJobRun as %s: %v", role, err)
	}
	return aws.ToString(out.Id)
}

func waitCompleted(t *testing.T, s *server, vc, id string) *types.JobRun {
	t.Helper()
	run, _ := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal)
	if run.State != types.JobRunStateCompleted {
		t.Fatalf("run %s: %s (%s), want COMPLETED; stderr:\n%s", id, run.State, aws.ToString(run.StateDetails),
			lastN(getLog(t, s.URL, vc, id, "stderr"), 30))
	}
	return run
}

// report is the isolationReport a prober run printed.
func report(t *testing.T, s *server, vc, id string) isolationReport {
	t.Helper()
	out := getLog(t, s.URL, vc, id, "stdout")
	for line := range strings.Lines(out) {
		if rest, ok := strings.CutPrefix(line, "ISOLATION "); ok {
			var r isolationReport
			if err := json.Unmarshal([]byte(rest), &r); err != nil {
				t.Fatalf("report of %s: %v", id, err)
			}
			return r
		}
	}
	t.Fatalf("run %s printed no report:\n%s", id, out)
	return isolationReport{}
}

func lookupUser(t *testing.T, name string) int {
	t.Helper()
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatalf("Unix user %s: %v (as root, scripts/setup.sh creates %s)", name, err, config.DefaultJobUser)
	}
	uid, _ := strconv.Atoi(u.Uid)
	return uid
}

// jobsDir is the local.workDir of the test servers: one folder for the
// whole run of the tests, reachable by the users jobs run as.
var jobsDir = sync.OnceValue(func() string {
	d, err := os.MkdirTemp("", "sparkplane-e2e-jobs-")
	if err != nil {
		panic(err)
	}
	return d
})
