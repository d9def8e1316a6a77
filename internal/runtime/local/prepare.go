package local

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// jobStart is how to start a run's spark-submit.
type jobStart struct {
	work   string   // its current directory and HOME
	args   []string // spark-submit's arguments
	prefix []string // runs spark-submit as the run's user; nil: as the server's
	umask  string   // "": the server's
	env    []string
	user   string // whom it runs as, for the log ("": the server's user)
}

// prepare makes the folders of run's current attempt (dir: its run folder),
// fetches its code from S3 (fetch.go) and works out how to start it with
// dist, as id. An error is a *runtime.SubmitError when trying again cannot
// help.
func (r *Runtime) prepare(ctx context.Context, run *emr.JobRun, sub *sparksubmit.Submission, dir string, id Identity, dist sparkdist.Dist) (*jobStart, error) {
	work := r.workFolder(run, dir)
	fetches, err := r.planFetch(sub, work)
	if err != nil {
		return nil, err
	}
	fetched := map[string]bool{}
	for _, d := range fetches {
		fetched[d.path] = true
	}
	args, entry, err := r.args(run, sub, work, dist, fetched)
	if err != nil {
		return nil, err
	}
	j := &jobStart{work: work, args: args}
	defaults := []byte(sub.DefaultsFile())
	if !r.opts.Isolate {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("create run folder: %w", err)
		}
		if err := r.fetch(ctx, run, work, fetches, nil); err != nil {
			return nil, err
		}
		if err := makeEventLogDir(sub, work, nil); err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, fileDefaults), defaults, 0o644); err != nil {
			return nil, fmt.Errorf("write spark-defaults.conf: %w", err)
		}
		j.env = r.env(j, dir, id.CredentialsFile, nil, dist)
		return j, nil
	}

	if os.Geteuid() != 0 {
		return nil, &runtime.SubmitError{Reason: emr.FailureClusterUnavailable,
			Message: "the local runtime runs jobs as other users only when the server runs as root"}
	}
	u, err := lookupUser(id.User, run.ExecutionRoleARN)
	if err != nil {
		return nil, err
	}
	setpriv, err := exec.LookPath("setpriv")
	if err != nil {
		return nil, &runtime.SubmitError{Reason: emr.FailureClusterUnavailable,
			Message: "setpriv (util-linux), which starts jobs as their execution role's user, is not installed"}
	}
	creds, err := prepareWork(r.opts.WorkDir, work, u, defaults, id.CredentialsFile, func() error {
		if err := r.fetch(ctx, run, work, fetches, u); err != nil {
			return err
		}
		return makeEventLogDir(sub, work, u)
	})
	if err != nil {
		return nil, err
	}
	j.prefix, j.umask, j.user = u.setpriv(setpriv), "077", u.name
	if err := r.check(j.prefix, u, run, work, entry, dist); err != nil {
		return nil, err
	}
	// The run folder: the server's records, where the job cannot reach,
	// with a copy of what spark-submit was given.
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create run folder: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, fileDefaults), defaults, 0o600); err != nil {
		return nil, fmt.Errorf("write spark-defaults.conf: %w", err)
	}
	j.env = r.env(j, dir, creds, u, dist)
	return j, nil
}

// check makes sure u can use its working folder, Spark, Java, Python and
// the entry point (entry: "" when there is no local one).
func (r *Runtime) check(setpriv []string, u *jobUser, run *emr.JobRun, work, entry string, d sparkdist.Dist) error {
	paths := []string{"w:" + work, "x:" + work, "x:" + d.SparkSubmit(), "r:" + filepath.Join(d.SparkHome, "jars"),
		"x:" + filepath.Join(d.SparkHome, "jars"), "x:" + filepath.Join(d.JavaHome, "bin", "java")}
	if filepath.IsAbs(d.Python) {
		paths = append(paths, "x:"+d.Python)
	}
	for p := range strings.SplitSeq(d.PythonPath, string(os.PathListSeparator)) {
		if p != "" {
			paths = append(paths, "r:"+p)
		}
	}
	if entry != "" {
		paths = append(paths, "r:"+entry)
	}
	bad, err := probe(setpriv, paths)
	switch {
	case err != nil:
		return err
	case bad == "":
		return nil
	case bad == entry:
		return &runtime.SubmitError{Reason: emr.FailureValidation, Message: fmt.Sprintf(
			"entryPoint %s is not readable by the Unix user %s that runs of execution role %s run as", entry, u.name, run.ExecutionRoleARN)}
	case bad == work:
		return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf(
			"the Unix user %s cannot reach its working folder %s: local.workDir must be outside folders it cannot pass through (as the data dir, or /root)", u.name, work)}
	}
	return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf(
		"the Unix user %s that runs of execution role %s run as cannot use %s: Spark, Java and Python must be readable by it. "+
			"As root, run scripts/setup.sh, which installs Spark into /var/cache/sparkplane, or set local.sparkHome to a copy it can read", u.name, run.ExecutionRoleARN, bad)}
}

// workFolder is the working folder of run's current attempt: its run
// folder dir, or one under Options.WorkDir when runs are isolated.
func (r *Runtime) workFolder(run *emr.JobRun, dir string) string {
	if r.opts.Isolate {
		return workPath(r.opts.WorkDir, run)
	}
	return dir
}

// cleanWork removes what the working folder work kept for its run only,
// once the run has ended: the code fetched from S3 and the copy of the
// credentials file an isolated run got.
func (r *Runtime) cleanWork(work string) {
	_ = os.RemoveAll(filepath.Join(work, dirCode))
	if r.opts.Isolate {
		_ = os.Remove(filepath.Join(work, fileCredentials))
	}
}

// env is the environment of j: Options.Env with Spark's, Java's and
// Python's variables, HOME in its working folder, and for a run as u its
// user's name, TMPDIR and no instance metadata credentials. creds is the
// credentials file it gets ("": none), dir its run folder (envRunKey).
func (r *Runtime) env(j *jobStart, dir, creds string, u *jobUser, dist sparkdist.Dist) []string {
	set := map[string]string{"HOME": j.work}
	if u != nil {
		set["USER"], set["LOGNAME"], set["TMPDIR"] = u.name, u.name, filepath.Join(j.work, "tmp")
		set["AWS_EC2_METADATA_DISABLED"] = "true" // the host's instance role is the server's, not the run's
	}
	if creds != "" {
		// The AWS SDK v1 (S3A of Hadoop 3.3, Spark 3.x) reads the second;
		// the SDK v2, boto3 and the AWS CLI the first.
		set["AWS_SHARED_CREDENTIALS_FILE"], set["AWS_CREDENTIAL_PROFILES_FILE"] = creds, creds
	}
	var env []string
	for _, kv := range dist.Env(r.opts.Env) {
		if k, _, _ := strings.Cut(kv, "="); set[k] == "" {
			env = append(env, kv)
		}
	}
	for _, k := range []string{"HOME", "USER", "LOGNAME", "TMPDIR", "AWS_EC2_METADATA_DISABLED", "AWS_SHARED_CREDENTIALS_FILE", "AWS_CREDENTIAL_PROFILES_FILE"} {
		if v := set[k]; v != "" {
			env = append(env, k+"="+v)
		}
	}
	// Local mode needs no network beyond loopback: SPARK_LOCAL_IP keeps the
	// driver off the host's interfaces.
	return append(env, envRunKey+"="+dir, "SPARK_LOCAL_IP=127.0.0.1")
}
