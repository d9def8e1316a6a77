package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
)

// Shipping a run's container logs (Options.Ship, from its
// monitoringConfiguration). The server that drives the run (whose
// controller observes it) follows the log of each pod of the current
// attempt — the job runner, the driver and every executor — from when its
// main container starts, as the informer shows the pods: a streaming
// GetLogs with follow, copied to a spool file (Options.ShipDir), which is
// shipped as it grows (logship.Stream: rotated pieces as soon as they are
// complete, the current piece every Options.ShipInterval). An executor's
// log is thus read while it runs, before Spark deletes its pod; when its
// container ends the follow ends, and its pieces are put, final, at once.
// A follow that breaks is opened again, skipping what was copied.
//
// Kubernetes serves a container's stdout and stderr as one log: it is
// shipped as stdout.gz, and stderr.gz is empty.
//
// CollectLogs, called before the run is written terminal, waits for the
// driver's and executors' logs to be shipped, and for the job runner's up
// to jobRunnerWait (spark-submit ends just after the driver): a job runner
// still running by then has what it logged so far put, and is followed on
// in the background (at most lateFollow) to put the rest. A server that
// restarts follows the pods that still exist from their start again, which
// puts the same pieces under the same names; an executor that ended and was
// deleted meanwhile is not shipped.

// Timings of log shipping.
const (
	shipPoll      = 2 * time.Second        // how often growing logs are looked at
	jobRunnerWait = time.Second            // how long CollectLogs waits for the job runner's end
	collectWait   = 30 * time.Second       // how long CollectLogs waits for the other pods' logs
	lateFollow    = 2 * time.Minute        // how long a job runner is followed after CollectLogs
	refollowPause = 500 * time.Millisecond // between a follow that broke and the next
	uploadTimeout = time.Minute            // bounds the final upload of a pod's log
	followTries   = 5                      // failed log requests after which an ended container's log is given up
)

// shipper ships the logs of the runs this server drives.
type shipper struct {
	opener   logship.Opener
	dir      string
	interval time.Duration
	client   kubernetes.Interface
	log      *slog.Logger

	mu       sync.Mutex
	attempts map[string]*attemptShip // by shipKey
	closed   bool
}

func newShipper(o *Options) *shipper {
	if o.Ship == nil {
		return nil
	}
	dir := o.ShipDir
	if err := os.MkdirAll(dir, 0o700); dir == "" || err != nil {
		if dir, err = os.MkdirTemp("", "sparkplane-logship-"); err != nil {
			o.Logger.Warn("no folder to ship logs from: runs' logs are not shipped", "err", err)
			return nil
		}
	}
	return &shipper{opener: o.Ship, dir: dir, interval: o.ShipInterval, client: o.Client, log: o.Logger, attempts: map[string]*attemptShip{}}
}

// shipKey names an attempt of a run.
func shipKey(ns, jobID string, attempt string) string { return ns + "/" + jobID + "/" + attempt }

// attemptShip ships the logs of one attempt's pods.
type attemptShip struct {
	s      *shipper
	dest   logship.Destination
	rot    logship.Rotation
	pods   corelisters.PodNamespaceLister
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	followed map[types.UID]*podShip
}

// podShip is the shipping of one pod's log.
type podShip struct {
	name, container string
	runner          bool
	spool           string
	streams         []*logship.Stream
	cancel          context.CancelFunc
	done            chan struct{} // closed once its log is shipped, final
}

// observe starts shipping the logs of run's current attempt (once) and
// follows those of its pods that started.
func (s *shipper) observe(ctx context.Context, run *emr.JobRun, ns string, pods corelisters.PodNamespaceLister, current []*corev1.Pod) {
	if s == nil {
		return
	}
	a := s.attempt(ctx, run, ns, pods)
	if a == nil {
		return
	}
	for _, p := range current {
		a.podChanged(p)
	}
}

// attempt returns the shipping of run's current attempt, starting it;
// nil when its logs go nowhere.
func (s *shipper) attempt(ctx context.Context, run *emr.JobRun, ns string, pods corelisters.PodNamespaceLister) *attemptShip {
	key := shipKey(ns, run.ID, strconv.Itoa(run.Attempt()))
	s.mu.Lock()
	a := s.attempts[key]
	s.mu.Unlock()
	if a != nil {
		return a
	}
	dest, err := s.opener(ctx, run)
	if err != nil || dest == nil {
		if err != nil {
			s.log.Warn("cannot ship the run's logs", "run", run.ID, "err", err)
		}
		return nil // asked again at the next observation (cheap without a logUri)
	}
	rot, err := logship.RotationOf(run)
	if err != nil {
		s.log.Warn("cannot ship the run's logs", "run", run.ID, "err", err)
		return nil
	}
	actx, cancel := context.WithCancel(context.Background())
	a = &attemptShip{s: s, dest: dest, rot: rot, pods: pods, ctx: actx, cancel: cancel, followed: map[types.UID]*podShip{}}
	s.mu.Lock()
	defer s.mu.Unlock()
	if prev, known := s.attempts[key]; known || s.closed {
		a.cancel()
		return prev
	}
	s.attempts[key] = a
	go a.poll(key)
	return a
}

// podChanged follows the log of a pod of a shipped attempt once its main
// container has started.
func (s *shipper) podChanged(obj any) {
	if s == nil {
		return
	}
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	pod, ok := obj.(*corev1.Pod)
	if !ok {
		return
	}
	s.mu.Lock()
	a := s.attempts[shipKey(pod.Namespace, pod.Labels[LabelJobID], pod.Labels[LabelAttempt])]
	s.mu.Unlock()
	if a != nil {
		a.podChanged(pod)
	}
}

func (a *attemptShip) podChanged(pod *corev1.Pod) {
	container := mainContainer(pod)
	if !containerStarted(pod, container) {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.followed[pod.UID]; ok || a.ctx.Err() != nil {
		return
	}
	c := logship.Container{VirtualClusterID: pod.Labels[LabelVirtualCluster], JobRunID: pod.Labels[LabelJobID],
		Pod: pod.Name, Started: pod.CreationTimestamp.Time}
	switch component(pod) {
	case ComponentSubmitter:
		c.Role = logship.RoleJobRunner
	case ComponentDriver:
		c.Role, c.AppID = logship.RoleDriver, pod.Labels[labelSparkAppID]
	default:
		c.Role, c.AppID = logship.RoleExecutor, pod.Labels[labelSparkAppID]
	}
	if c.Role != logship.RoleJobRunner && c.AppID == "" {
		return // not a Spark pod
	}
	ctx, cancel := context.WithCancel(a.ctx)
	ps := &podShip{name: pod.Name, container: container, runner: c.Role == logship.RoleJobRunner,
		spool: filepath.Join(a.s.dir, pod.Namespace+"_"+pod.Name+"_"+string(pod.UID)), cancel: cancel, done: make(chan struct{})}
	ps.streams = []*logship.Stream{
		logship.NewStream(a.dest, c, logship.Stdout, ps.spool, a.rot, a.s.interval),
		logship.NewStream(a.dest, c, logship.Stderr, ps.spool+".stderr", a.rot, a.s.interval), // never written: see above
	}
	a.followed[pod.UID] = ps
	go a.ship(ctx, pod.Namespace, ps)
}

// labelSparkAppID is the label Spark puts on its pods: the application id.
const labelSparkAppID = "spark-app-selector"

// component is a run pod's component label, "driver" for a pod Spark
// labels as its driver.
func component(pod *corev1.Pod) string {
	c := pod.Labels[LabelComponent]
	if c == "" && pod.Labels["spark-role"] == "driver" {
		return ComponentDriver
	}
	return c
}

// containerStarted says whether the named container runs or ran.
func containerStarted(pod *corev1.Pod, name string) bool {
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == name {
			return cs.State.Running != nil || cs.State.Terminated != nil
		}
	}
	return false
}

// containerEnded says whether the pod is gone or its container ended.
func (a *attemptShip) containerEnded(name, container string) bool {
	pod, err := a.pods.Get(name)
	if err != nil {
		return apierrors.IsNotFound(err)
	}
	if pod.DeletionTimestamp != nil || pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed {
		return true
	}
	for _, cs := range pod.Status.ContainerStatuses {
		if cs.Name == container {
			return cs.State.Terminated != nil
		}
	}
	return false
}

// ship follows a pod's log into its spool file until its container ends
// (or ctx is cancelled), then puts its pieces, final, and removes the spool.
func (a *attemptShip) ship(ctx context.Context, ns string, ps *podShip) {
	defer close(ps.done)
	if err := a.follow(ctx, ns, ps); err != nil && ctx.Err() == nil {
		a.s.log.Warn("could not follow a pod's log", "pod", ps.name, "err", err)
	}
	uctx, cancel := context.WithTimeout(context.Background(), uploadTimeout)
	defer cancel()
	var errs []error
	for _, st := range ps.streams {
		errs = append(errs, st.Sync(uctx, true))
	}
	if err := errors.Join(errs...); err != nil {
		a.s.log.Warn("could not ship a pod's log", "pod", ps.name, "err", err)
	}
	os.Remove(ps.spool)
}

// follow copies the pod's log into its spool file until the container
// ended and the log was read to its end.
func (a *attemptShip) follow(ctx context.Context, ns string, ps *podShip) error {
	f, err := os.OpenFile(ps.spool, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return err
	}
	defer f.Close()
	var copied int64
	for failed := 0; ctx.Err() == nil; {
		rc, err := a.s.client.CoreV1().Pods(ns).GetLogs(ps.name, &corev1.PodLogOptions{Container: ps.container, Follow: true}).Stream(ctx)
		switch {
		case apierrors.IsNotFound(err):
			return nil // gone: what was copied is all there is
		case err == nil:
			n, cerr := copyAfter(f, rc, copied)
			rc.Close()
			copied += n
			if cerr != nil && ctx.Err() == nil {
				a.s.log.Debug("a pod's log stream broke", "pod", ps.name, "err", cerr)
			}
		default:
			failed++
		}
		if a.containerEnded(ps.name, ps.container) && (err == nil || failed >= followTries) {
			return err // read to its end after the container ended, or not readable
		}
		select {
		case <-ctx.Done():
		case <-time.After(refollowPause):
		}
	}
	return ctx.Err()
}

// copyAfter copies r to w after skipping its first skip bytes (already
// copied by an earlier stream of the same log) and returns how many bytes
// it wrote.
func copyAfter(w io.Writer, r io.Reader, skip int64) (int64, error) {
	if _, err := io.CopyN(io.Discard, r, skip); err != nil {
		if errors.Is(err, io.EOF) {
			return 0, nil // nothing new
		}
		return 0, err
	}
	return io.Copy(w, r)
}

// poll ships the growing logs of the attempt's pods until it is
// collected, or until its pods were all shipped lateFollow ago (a run this
// server stopped driving: another server collects it).
func (a *attemptShip) poll(key string) {
	t := time.NewTicker(shipPoll)
	defer t.Stop()
	var idleSince time.Time
	for {
		select {
		case <-a.ctx.Done():
			return
		case <-t.C:
		}
		a.mu.Lock()
		var streams []*logship.Stream
		idle := len(a.followed) > 0
		for _, ps := range a.followed {
			streams = append(streams, ps.streams...)
			select {
			case <-ps.done:
			default:
				idle = false
			}
		}
		a.mu.Unlock()
		switch {
		case !idle:
			idleSince = time.Time{}
		case idleSince.IsZero():
			idleSince = time.Now()
		case time.Since(idleSince) > lateFollow:
			a.s.mu.Lock()
			if a.s.attempts[key] == a {
				delete(a.s.attempts, key)
			}
			a.s.mu.Unlock()
			a.cancel()
			return
		}
		for _, st := range streams {
			if err := st.Sync(a.ctx, false); err != nil && a.ctx.Err() == nil {
				a.s.log.Warn("could not ship logs", "err", err)
			}
		}
	}
}

// collect ships what is left of the logs of run's current attempt, whose
// pods have ended: it waits for the pods' logs to be shipped (the job
// runner's at most jobRunnerWait, the others' at most collectWait or until
// ctx ends) and stops shipping the attempt.
func (s *shipper) collect(ctx context.Context, run *emr.JobRun, ns string, pods corelisters.PodNamespaceLister, current []*corev1.Pod) error {
	if s == nil {
		return nil
	}
	a := s.attempt(ctx, run, ns, pods)
	if a == nil {
		return nil
	}
	for _, p := range current { // pods not followed yet (a server that just started)
		a.podChanged(p)
	}
	a.mu.Lock()
	var runners, others []*podShip
	for _, ps := range a.followed {
		if ps.runner {
			runners = append(runners, ps)
		} else {
			others = append(others, ps)
		}
	}
	a.mu.Unlock()
	var errs []error
	if err := waitShipped(ctx, others, collectWait); err != nil {
		errs = append(errs, fmt.Errorf("logs of %d pods not read to their end in time: %w", len(others), err))
		for _, ps := range others {
			ps.cancel() // put what was read
		}
		if err := waitShipped(ctx, others, uploadTimeout); err != nil {
			errs = append(errs, err)
		}
	}
	if waitShipped(ctx, runners, jobRunnerWait) != nil {
		for _, ps := range runners { // what it logged so far now, the rest when it ends
			for _, st := range ps.streams {
				errs = append(errs, st.Flush(ctx))
			}
		}
	}
	s.mu.Lock()
	if key := shipKey(ns, run.ID, strconv.Itoa(run.Attempt())); s.attempts[key] == a {
		delete(s.attempts, key)
	}
	s.mu.Unlock()
	go func() { // the job runner's end, then every follow stops
		_ = waitShipped(context.Background(), runners, lateFollow)
		a.cancel()
	}()
	return errors.Join(errs...)
}

// waitShipped waits until every pod's log is shipped, or d passed, or ctx
// ended.
func waitShipped(ctx context.Context, pods []*podShip, d time.Duration) error {
	deadline := time.NewTimer(d)
	defer deadline.Stop()
	for _, ps := range pods {
		select {
		case <-ps.done:
		case <-ctx.Done():
			return ctx.Err()
		case <-deadline.C:
			return fmt.Errorf("waited %s", d)
		}
	}
	return nil
}

// close stops every follow.
func (s *shipper) close() {
	if s == nil {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	for _, a := range s.attempts {
		a.cancel()
	}
}
