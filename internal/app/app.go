// Package app wires a sparkplane server together: the store, the runtimes of
// the registered clusters, the controller and the API, served over HTTP.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"sync"
	"syscall"
	"time"

	"github.com/sparkplane/sparkplane/internal/ack"
	"github.com/sparkplane/sparkplane/internal/api"
	"github.com/sparkplane/sparkplane/internal/audit"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/controller"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/events"
	"github.com/sparkplane/sparkplane/internal/logship"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/retention"
	"github.com/sparkplane/sparkplane/internal/runtime"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
	"github.com/sparkplane/sparkplane/internal/runtime/local"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
	"github.com/sparkplane/sparkplane/internal/sparkui"
	"github.com/sparkplane/sparkplane/internal/store"
)

// App is a running server's parts.
type App struct {
	Config config.Config
	Store  store.Store
	// ServerID names this server in the leases of the job runs it drives.
	ServerID   string
	Controller *controller.Controller
	API        *api.Server
	Listener   net.Listener
	leased     *controller.Leased // this server's leases of the runs it drives
	events     *events.Dispatcher // delivers job-run state changes to webhooks
	purger     *retention.Purger  // removes expired runs and usage (retention.go)
	trail      *audit.Trail
	authn      *authenticator // nil: authentication is off
	metrics    *serverMetrics // nil: metrics are off
	kube       map[string]*k8sruntime.Runtime
	ui         *sparkui.Service // the History Server of ended runs (sparkui.go)
	clusters   []string
	ack        *ack.Reconciler // nil: ack.enabled is off (ack.go)
	log        *slog.Logger
}

// Open builds the server of cfg and binds its listener, but serves nothing
// until Run.
func Open(ctx context.Context, cfg config.Config, log *slog.Logger) (*App, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if cfg.GoGC != nil {
		debug.SetGCPercent(*cfg.GoGC)
	}
	// The local runtime needs an installed Spark; a server that only drives
	// Kubernetes clusters runs without one.
	dist, sparkErr := sparkdist.Find(cfg.Local.SparkHome, cfg.Env)
	cfg.Clusters = cfg.WithDevCluster()
	cfg.S3 = cfg.WithDevS3()
	if sparkErr != nil && len(cfg.Clusters) == 0 {
		return nil, sparkErr
	}
	// The data dir is the server's alone (0700; the store's files are
	// 0600): jobs, which run as other users when the server is root, keep
	// their working folders elsewhere (local.workDir).
	if err := privateDir(cfg.DataDir); err != nil {
		return nil, fmt.Errorf("create data dir: %w", err)
	}
	pricing, err := loadPricing(cfg, log)
	if err != nil {
		return nil, err
	}
	if err := checkTLS(cfg); err != nil {
		return nil, err
	}
	warnInsecure(cfg, log)
	st, err := openStore(ctx, cfg)
	if err != nil {
		return nil, err
	}
	runsDir := filepath.Join(cfg.DataDir, "runs")
	if err := privateDir(runsDir); err != nil {
		st.Close()
		return nil, fmt.Errorf("create runs dir: %w", err)
	}
	archive := logArchive(st)
	keeper, ui, err := sparkUI(&cfg, dist, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	runtimes := map[string]runtime.Runtime{}
	if sparkErr == nil {
		// As root, each run runs as its execution role's Unix user (see
		// local.Identity); otherwise as the server's user. Either way it
		// reads S3 with its role's credentials file, else s3.credentialsFile.
		runtimes[local.ClusterID] = local.New(local.Options{Dir: runsDir, Dist: dist, Spark: sparks(cfg, log), Defaults: cfg.Local.SparkDefaults, S3A: s3a(cfg), Logger: log,
			Env: cfg.Env.JobEnv(), Usage: st, Archive: archive, InstanceType: cfg.Local.InstanceType,
			RunAs: func(arn string) local.Identity {
				user, _ := cfg.LocalRunAs(arn)
				return local.Identity{User: user, CredentialsFile: cfg.S3CredentialsFile(arn)}
			},
			Isolate: os.Geteuid() == 0, WorkDir: cfg.Local.WorkRoot(), EventLogs: keeper, Ship: logShipping(&cfg, log),
			S3: func(ctx context.Context, arn string) (local.Fetcher, error) {
				c, err := s3Client(ctx, &cfg, arn)
				if err != nil {
					return nil, err // not a nil *Client in a Fetcher
				}
				return c, nil
			}})
	} else {
		log.Warn("the local runtime is off", "reason", sparkErr)
	}
	kube := map[string]*k8sruntime.Runtime{}
	// Pod templates in S3 are read with the role's credentials, as the local
	// runtime's code; Spark reads the rest of a run's code itself, through S3A.
	readS3 := func(ctx context.Context, arn string) (k8sruntime.ObjectReader, error) {
		c, err := s3Client(ctx, &cfg, arn)
		if err != nil {
			return nil, err // not a nil *Client in an ObjectReader
		}
		return c, nil
	}
	for _, k := range cfg.Clusters {
		rt, err := kubernetesRuntime(k, cfg.Security.ExecutionRoles, s3a(cfg), cfg.S3.CredentialsFile, readS3, st, archive, eventLogDir(&cfg),
			shipping{logShipping(&cfg, log), filepath.Join(cfg.DataDir, "logship")}, log)
		if err != nil {
			st.Close()
			return nil, err
		}
		kube[k.ID], runtimes[k.ID] = rt, rt
	}
	// Several servers may share a PostgreSQL store: each drives only the
	// runs whose lease it holds.
	id := newServerID()
	var leased *controller.Leased // SQLite: one server, which drives every run
	if kind, _ := cfg.StoreKind(); kind == config.StorePostgres {
		leased = controller.NewLeased(st, id, controller.DefaultLeaseTTL, nil, log)
	}
	mx, err := newServerMetrics(cfg, st, leased, slices.Sorted(maps.Keys(runtimes)), log)
	if err != nil {
		st.Close()
		return nil, err
	}
	dispatcher, err := newEvents(cfg, st, id, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	timed := mx.store(st) // the API's and the controller's calls are timed
	ctl := controller.New(timed, runtimes, controller.Options{Leases: leased, Observer: mx.observer(), Logger: log})
	clusters := slices.Sorted(maps.Keys(runtimes))
	authn, err := newAuthenticator(cfg, log)
	if err != nil {
		st.Close()
		return nil, err
	}
	trail, err := audit.Open(auditPath(cfg), log)
	if err != nil {
		st.Close()
		return nil, err
	}
	opts := api.Options{
		Partition:      emr.Partition{Partition: cfg.Partition, Region: cfg.Region, Account: cfg.AccountID},
		Clusters:       clusters,
		CheckNamespace: namespaceChecker(kube),
		Logs:           logship.NewSource(runtime.NewLogSource(runtimes, archive, st.GetVirtualCluster), shippedLogs(&cfg)),
		Pricing:        pricing,
		SparkUI:        uiOf(ui),
		Metrics:        mx.requests(),
		Logger:         log,
	}
	securityOptions(cfg, &opts, trail, authn)
	srv := api.New(timed, ctl, opts)
	var ackLeases ack.Leases // SQLite: one server, which reconciles
	if leased != nil {
		ackLeases = st
	}
	reconciler, err := newACK(cfg, srv, authn, ackLeases, id, log)
	if err != nil {
		st.Close()
		trail.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		st.Close()
		trail.Close()
		return nil, fmt.Errorf("listen on %s: %w", cfg.Addr, err)
	}
	if err := checkListener(cfg, authn, ln.Addr()); err != nil {
		ln.Close()
		st.Close()
		trail.Close()
		return nil, err
	}
	if err := mx.listen(cfg); err != nil {
		ln.Close()
		st.Close()
		trail.Close()
		return nil, err
	}
	return &App{Config: cfg, Store: st, ServerID: id, Controller: ctl, API: srv, Listener: ln, leased: leased, events: dispatcher,
		purger: newPurger(cfg, st, id, mx, log), trail: trail, authn: authn, metrics: mx, kube: kube, ui: ui, clusters: clusters, ack: reconciler, log: log}, nil
}

// s3a is how runs reach the object storage of cfg.
func s3a(cfg config.Config) sparksubmit.S3A {
	return sparksubmit.S3A{Endpoint: cfg.S3.Endpoint, Region: cfg.S3Region(), PathStyle: cfg.S3.PathStyle}
}

// privateDir makes dir, 0700: the server's alone. A folder that exists
// and that this user owns is made 0700 too.
func privateDir(dir string) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if st, err := os.Stat(dir); err == nil && st.Mode().Perm() != 0o700 && ownedByUs(st) {
		return os.Chmod(dir, 0o700)
	}
	return nil
}

// ownedByUs says whether this process's user owns the file st describes.
func ownedByUs(st os.FileInfo) bool {
	sys, ok := st.Sys().(*syscall.Stat_t)
	return ok && int(sys.Uid) == os.Geteuid()
}

// Clusters are the ids of the registered clusters, sorted.
func (a *App) Clusters() []string { return a.clusters }

// URL is the endpoint clients reach the API at.
func (a *App) URL() string { return scheme(a.Config) + "://" + a.Listener.Addr().String() }

// Run serves the API and runs the controller until ctx ends, then shuts
// down gracefully and closes the store. Runs in flight keep running; the
// next server adopts them.
func (a *App) Run(ctx context.Context) error {
	hs := newHTTPServer(a.metrics.handler(a.API), a.Config.Security.Limits) // limits: serve.go; /metrics: metrics.go
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := a.Controller.Run(ctx); err != nil {
			a.log.Error("controller stopped", "err", err)
		}
	}()
	wg.Go(func() { a.leased.Run(ctx) })
	wg.Go(func() { a.events.Run(ctx) })
	wg.Go(func() { a.purger.Run(ctx) })
	wg.Go(func() { a.authn.watch(ctx) })
	wg.Go(func() { a.metrics.serve(ctx) })
	wg.Go(func() { a.runACK(ctx) })
	if r, ok := a.Store.(rollerUp); ok {
		wg.Go(func() { rollUpEvery(ctx, r, rollUpInterval, a.log) })
	}
	errc := make(chan error, 1)
	go func() {
		errc <- serve(a.Config, hs, limitListener(a.Listener, a.Config.Security.Limits.ConnectionLimit()))
	}()
	var err error
	select {
	case <-ctx.Done():
	case err = <-errc:
	}
	// API calls are short: give those in flight a moment, then close the
	// rest (including connections a client opened but never used, which
	// Shutdown would otherwise wait on).
	sctx, scancel := context.WithTimeout(context.Background(), time.Second)
	defer scancel()
	if hs.Shutdown(sctx) != nil {
		_ = hs.Close()
	}
	cancel()
	wg.Wait()
	// The controller has stopped: hand its runs to the other servers now
	// rather than when the leases expire.
	rctx, rcancel := context.WithTimeout(context.Background(), 5*time.Second)
	a.leased.Release(rctx)
	rcancel()
	for _, rt := range a.kube {
		rt.Close()
	}
	a.ui.Close()
	a.trail.Close()
	if cerr := a.Store.Close(); err == nil {
		err = cerr
	}
	if errors.Is(err, http.ErrServerClosed) {
		err = nil
	}
	return err
}

// sparks picks each local run's Spark by its release label, installing a
// version on first use into the cache folder; nil (every run runs the one
// Spark found) when local.sparkHome or $SPARK_HOME names it.
func sparks(cfg config.Config, log *slog.Logger) *local.Sparks {
	if sparkdist.Pinned(cfg.Local.SparkHome, cfg.Env) {
		return nil
	}
	return &local.Sparks{
		Installed: func(version string) (sparkdist.Dist, bool) { return sparkdist.Installed(version, cfg.Env) },
		Install: func(ctx context.Context, version string) (sparkdist.Dist, error) {
			return sparkdist.Ensure(ctx, version, cfg.Env, log)
		},
	}
}

// s3Client is the object storage as the runs of execution role arn see it:
// with the role's credentials file (else the S3 default; none: anonymous).
func s3Client(ctx context.Context, cfg *config.Config, arn string) (*objectstore.Client, error) {
	return objectstore.New(ctx, objectstore.Options{Endpoint: cfg.S3.Endpoint, Region: cfg.S3Region(),
		PathStyle: cfg.S3.PathStyle, CredentialsFile: cfg.S3CredentialsFile(arn)})
}
