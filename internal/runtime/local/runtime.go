package local

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
	"github.com/sparkplane/sparkplane/internal/rundir"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// ClusterID is the id of the cluster the local runtime is registered as.
const ClusterID = "local"

// Options configure a Runtime.
type Options struct {
	// Dir holds one folder per run.
	Dir string
	// Dist is the Spark installation to run when Spark is nil.
	Dist sparkdist.Dist
	// Spark, when set, picks each run's Spark by its release label (see
	// emr.LookupRelease): Installed says whether a version is at hand,
	// Install installs it (minutes: a run waits SUBMITTED meanwhile, see
	// install.go). Nil: every run runs Dist.
	Spark *Sparks
	// Defaults are Spark properties every run starts from (lowest precedence).
	Defaults map[string]string
	// S3A is the object storage s3:// and s3a:// URIs reach, through the S3A
	// connector (sparkdist.AddS3A installs it): its properties go under
	// Defaults. A run given a credentials file (RunAs) reads S3 with it.
	S3A sparksubmit.S3A
	// Env is the base environment of every job process, KEY=value
	// (config.Env.JobEnv: PATH, HOME, locale, …); the runtime adds Spark's,
	// Java's and Python's variables. Nothing else of the server's
	// environment reaches a job, so secrets given to the server (a
	// PGPASSWORD, AWS credentials) do not. Nil: PATH=/usr/local/bin:/usr/bin:/bin.
	Env []string
	// StopGrace is how long a cancelled run has between SIGTERM and SIGKILL.
	StopGrace time.Duration
	Logger    *slog.Logger
	// Usage, when set, keeps a usage record of every run attempt for cost
	// reports (see metering.go); nil meters nothing.
	Usage runtime.UsageSink
	// InstanceType prices this host like that EC2 instance type in cost
	// reports; empty: the pricing's fallback prices.
	InstanceType string
	// Archive, when set, receives the stdout and stderr of every attempt
	// that ends (see CollectLogs); nil: they stay in the run folder only.
	Archive runtime.LogArchive
	// RunAs maps an execution role ARN to whom its runs run as and the
	// credentials they get (see runas.go); nil: the server's user, no
	// credentials.
	RunAs func(executionRoleARN string) Identity
	// Isolate runs each job as RunAs's user (the server must be root),
	// in a working folder under WorkDir that this user owns; the run folder
	// under Dir stays the server's. Off: jobs run as the server's user in
	// their run folder.
	Isolate bool
	// WorkDir holds the working folders of isolated runs; it must not be
	// under a folder the run users cannot pass through (as the 0700 data
	// dir).
	WorkDir string
	// S3 opens the object storage with the credentials of an execution
	// role, to fetch the runs' code that is in S3 (fetch.go); nil: runs
	// with code in S3 are refused.
	S3 func(ctx context.Context, executionRoleARN string) (Fetcher, error)
	// FetchTimeout bounds fetching a run's code from S3, which holds a
	// controller worker; 0: DefaultFetchTimeout.
	FetchTimeout time.Duration
	// Ship, when set, says where each run's stdout and stderr go (its
	// monitoringConfiguration): shipped while it runs and when it ends
	// (ship.go); nil: nowhere.
	Ship logship.Opener
	// ShipInterval is how often the logs of a running run are shipped
	// again; 0: logship.DefaultInterval.
	ShipInterval time.Duration
	// EventLogs, when set, keeps the Spark event log that each run (with
	// persistentAppUI not DISABLED) writes into its working folder, once
	// the attempt ends (eventlog.go); nil: runs write none.
	EventLogs EventLogKeeper
}

// Runtime runs job runs as local spark-submit processes.
type Runtime struct {
	opts   Options
	events chan string
	host   string // names this host in usage records

	mu       sync.Mutex
	procs    map[string]*proc     // by the attempt's folder
	waiting  map[string]*waiting  // runs waiting for their Spark, by the attempt's folder
	shipping map[string]*shipping // log shipping of running attempts, by the attempt's folder
}

var (
	_ runtime.Runtime      = (*Runtime)(nil)
	_ runtime.LogCollector = (*Runtime)(nil)
	_ runtime.LiveLogs     = (*Runtime)(nil)
)

// New returns a local runtime.
func New(opts Options) *Runtime {
	if opts.StopGrace <= 0 {
		opts.StopGrace = 5 * time.Second
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.Env == nil {
		opts.Env = []string{"PATH=/usr/local/bin:/usr/bin:/bin"}
	}
	if opts.FetchTimeout <= 0 {
		opts.FetchTimeout = DefaultFetchTimeout
	}
	return &Runtime{opts: opts, events: make(chan string, 1024), procs: map[string]*proc{}, waiting: map[string]*waiting{},
		shipping: map[string]*shipping{}, host: hostname()}
}

// Events implements runtime.Runtime.
func (r *Runtime) Events() <-chan string { return r.events }

// Submit implements runtime.Runtime.
func (r *Runtime) Submit(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	key := runtime.Key(run.VirtualClusterID, run.ID)
	dir := rundir.Path(r.opts.Dir, run)
	if p := r.find(key, dir); p != nil {
		return nil // submitted before (perhaps by a previous server)
	}
	if _, err := os.Stat(filepath.Join(dir, fileExit)); err == nil {
		return nil // ran and ended while no server watched
	}
	if r.isWaiting(dir) || exists(filepath.Join(dir, fileNoStart)) {
		return nil // waits for its Spark, or could not start once it had it
	}
	dist, ready, err := r.dist(run)
	if err != nil {
		return err
	}
	if !ready {
		return r.installThenStart(key, dir, run, dist)
	}
	return r.start(ctx, key, dir, run, dist)
}

// start starts the spark-submit of run's current attempt with dist, its
// run folder being dir.
func (r *Runtime) start(ctx context.Context, key, dir string, run *emr.JobRun, dist sparkdist.Dist) error {
	var id Identity
	if r.opts.RunAs != nil {
		id = r.opts.RunAs(run.ExecutionRoleARN)
	}
	sub, err := sparksubmit.Build(run, r.defaults(id))
	if err != nil {
		return &runtime.SubmitError{Reason: emr.FailureValidation, Message: err.Error()}
	}
	r.withEventLog(run, sub, dir)
	job, err := r.prepare(ctx, run, sub, dir, id, dist)
	if err != nil {
		return err
	}
	stdout, err := os.Create(filepath.Join(dir, fileStdout))
	if err != nil {
		return fmt.Errorf("create stdout: %w", err)
	}
	defer stdout.Close()
	stderr, err := os.Create(filepath.Join(dir, fileStderr))
	if err != nil {
		return fmt.Errorf("create stderr: %w", err)
	}
	defer stderr.Close()

	// Not CommandContext: the run outlives the request that submitted it.
	argv := append([]string{"-c", wrapper, "sh", dir, job.umask}, job.prefix...)
	cmd := exec.Command("/bin/sh", append(append(argv, dist.SparkSubmit()), job.args...)...)
	cmd.Dir = job.work
	cmd.Stdout, cmd.Stderr = stdout, stderr
	cmd.Env = job.env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start spark-submit: %w", err)
	}
	started := time.Now()
	if err := writePID(dir, cmd.Process.Pid); err != nil {
		r.opts.Logger.Warn("could not record pid", "run", key, "err", err)
	}
	res, resErr := resources(sub.Effective())
	if resErr != nil {
		r.opts.Logger.Warn("not metered", "run", key, "err", resErr)
	} else {
		r.record(r.usage(run, res, started, time.Time{}))
	}
	metered := *run // the controller may change run meanwhile
	p := newProc(dir, cmd.Process.Pid)
	r.track(key, p, func() int {
		err := cmd.Wait()
		r.cleanWork(job.work)
		if resErr == nil {
			r.recordEnded(&metered, dir, &res)
		}
		var ee *exec.ExitError
		switch {
		case err == nil:
			return 0
		case errors.As(err, &ee) && ee.ExitCode() >= 0:
			return ee.ExitCode()
		default:
			return -1 // killed by a signal: cancelled
		}
	})
	r.opts.Logger.Info("spark-submit started", "run", key, "pid", cmd.Process.Pid, "master", job.args[1], "user", job.user, "spark", dist.SparkHome)
	return nil
}

// s3aCredentialsProvider is the Hadoop property naming S3A's credentials
// providers.
const s3aCredentialsProvider = "spark.hadoop.fs.s3a.aws.credentials.provider"

// defaults are the Spark properties a run of id starts from: Options.Defaults
// over the S3A properties, and for a run given a credentials file, S3A
// reading it (unless Options.Defaults says otherwise). The file's keys
// stay in the file: spark-defaults.conf and the command line are shown in
// the Spark UI and ps.
func (r *Runtime) defaults(id Identity) map[string]string {
	d := sparksubmit.WithS3A(r.opts.S3A, r.opts.Defaults)
	if _, set := d[s3aCredentialsProvider]; !set && id.CredentialsFile != "" {
		d[s3aCredentialsProvider] = sparksubmit.ProfileCredentialsChain
	}
	return d
}

// args builds the spark-submit argument list of a run whose
// spark-defaults.conf is in dir, and returns the entry point's local path
// ("" when spark-submit downloads it). fetched are the local paths of the
// code that is to be fetched from S3 (planFetch), not there yet.
func (r *Runtime) args(run *emr.JobRun, sub *sparksubmit.Submission, dir string, dist sparkdist.Dist, fetched map[string]bool) ([]string, string, error) {
	eff := sub.Effective()
	instances, cores, err := sparksubmit.Executors(eff) // bounded: the product cannot overflow
	if err != nil {
		return nil, "", &runtime.SubmitError{Reason: emr.FailureValidation, Message: err.Error()}
	}
	args := []string{
		"--master", "local[" + strconv.Itoa(max(instances*cores, 1)) + "]",
		"--deploy-mode", "client",
		"--properties-file", filepath.Join(dir, fileDefaults),
	}
	if _, named := eff["spark.app.name"]; !named {
		name := run.Name
		if name == "" {
			name = run.ID
		}
		args = append(args, "--name", name)
	}
	// Local mode decides master and deploy mode; everything else passes through.
	for _, o := range sub.Params.Options {
		if o.Name == "--master" || o.Name == "--deploy-mode" || (sub.SQL && isSQLOption(o.Name)) {
			continue
		}
		args = append(args, o.Name)
		if o.Value != "" || !isFlag(o.Name) {
			args = append(args, o.Value)
		}
	}
	for _, c := range sub.Params.Conf {
		args = append(args, "--conf", c.Key+"="+c.Value)
	}
	if sub.SQL {
		args = append(args, "--class", sparksubmit.SQLDriverClass, "spark-internal")
		for _, o := range sub.Params.Options {
			if isSQLOption(o.Name) {
				args = append(args, o.Name, o.Value)
			}
		}
		if sub.EntryPoint != "" {
			path, err := resolveEntryPoint(dist.SparkHome, sub.EntryPoint, fetched)
			if err != nil {
				return nil, "", err
			}
			return append(args, "-f", path), localPath(path), nil
		}
		return args, "", nil
	}
	path, err := resolveEntryPoint(dist.SparkHome, sub.EntryPoint, fetched)
	if err != nil {
		return nil, "", err
	}
	return append(append(args, path), sub.Arguments...), localPath(path), nil
}

// localPath is a resolved entry point's path on this host, "" for a URL
// spark-submit downloads.
func localPath(entry string) string {
	if strings.HasPrefix(entry, "http://") || strings.HasPrefix(entry, "https://") {
		return ""
	}
	return entry
}

func isFlag(name string) bool { return name == "--verbose" || name == "-v" || name == "--supervise" }

func isSQLOption(name string) bool {
	return name == "--hivevar" || name == "--hiveconf" || name == "--database" || name == "--define"
}

// track watches p: wait returns its exit code when it ends.
func (r *Runtime) track(key string, p *proc, wait func() int) {
	r.mu.Lock()
	r.procs[p.dir] = p
	r.mu.Unlock()
	go func() {
		if watchForMarker(filepath.Join(p.dir, fileStderr), p.done) {
			p.running.Store(true)
			r.notify(key)
		}
	}()
	go func() {
		code := wait()
		if recorded := readExitCode(p.dir); recorded >= 0 {
			code = recorded
		}
		p.exit.Store(int64(code))
		close(p.done)
		r.mu.Lock()
		delete(r.procs, p.dir) // from now on the run's folder tells all
		r.mu.Unlock()
		r.notify(key)
	}()
}

func (r *Runtime) notify(key string) {
	select {
	case r.events <- key:
	default: // the controller's periodic resync will catch up
	}
}

// find returns the watched process of a run, adopting one that a previous
// server started and that still runs; nil when there is none.
func (r *Runtime) find(key, dir string) *proc {
	r.mu.Lock()
	p := r.procs[dir]
	r.mu.Unlock()
	if p != nil {
		return p
	}
	if _, err := os.Stat(dir); errors.Is(err, os.ErrNotExist) {
		return nil // never submitted: Submit makes the folder before it starts anything
	}
	rec, ok := readPID(dir)
	if !ok {
		pid, found := findByEnv(dir)
		if !found {
			return nil
		}
		st, err := procStartTime(pid)
		if err != nil {
			return nil
		}
		rec = pidRecord{PID: pid, StartTime: st}
	}
	if !alive(rec) {
		return nil
	}
	r.opts.Logger.Info("re-adopted a running spark-submit", "run", key, "pid", rec.PID)
	p = newProc(dir, rec.PID)
	r.track(key, p, func() int { waitForeign(rec); return -1 })
	return p
}

// Observe implements runtime.Runtime.
func (r *Runtime) Observe(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (runtime.Observation, error) {
	key := runtime.Key(run.VirtualClusterID, run.ID)
	dir := rundir.Path(r.opts.Dir, run)
	if p := r.find(key, dir); p != nil && !p.ended() {
		r.startShipping(ctx, run, dir, p.done)
		if p.running.Load() {
			return runtime.Observation{Phase: runtime.PhaseRunning}, nil
		}
		return runtime.Observation{Phase: runtime.PhaseSubmitted}, nil
	}
	if w := r.waitingFor(dir); w != nil {
		return runtime.Observation{Phase: runtime.PhaseSubmitted, Details: "Waiting for Apache Spark " + w.version + " to be installed."}, nil
	}
	if _, err := os.Stat(dir); err != nil {
		return runtime.Observation{Phase: runtime.PhaseUnknown}, nil
	}
	if obs, ok := noStart(dir); ok {
		return obs, nil
	}
	r.recordEnded(run, dir, nil) // it may have ended while no server watched
	r.cleanWork(r.workFolder(run, dir))
	switch code := readExitCode(dir); {
	case code == 0:
		return runtime.Observation{Phase: runtime.PhaseSucceeded}, nil
	case code > 0:
		details := fmt.Sprintf("spark-submit exited with code %d", code)
		if s := failureSummary(dir); s != "" {
			details += ": " + s
		}
		return runtime.Observation{Phase: runtime.PhaseFailed, Reason: emr.FailureUser, Details: details, EndedAt: exitTime(dir)}, nil
	default:
		return runtime.Observation{Phase: runtime.PhaseFailed, Reason: emr.FailureInternal,
			Details: "spark-submit ended without recording an exit code (killed, or the machine restarted); see its stderr."}, nil
	}
}

// Stop implements runtime.Runtime: SIGTERM to the process group, SIGKILL
// after the grace period.
func (r *Runtime) Stop(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (bool, error) {
	key := runtime.Key(run.VirtualClusterID, run.ID)
	dir := rundir.Path(r.opts.Dir, run)
	r.cancelWaiting(dir)
	p := r.find(key, dir)
	if p == nil {
		return true, nil
	}
	signalGroup(p.pid, syscall.SIGTERM)
	if groupGone(ctx, p.pid, r.opts.StopGrace) {
		return true, nil
	}
	if ctx.Err() != nil {
		return false, ctx.Err()
	}
	signalGroup(p.pid, syscall.SIGKILL)
	return groupGone(ctx, p.pid, 2*time.Second), nil
}
