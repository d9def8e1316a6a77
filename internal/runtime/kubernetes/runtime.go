package kubernetes

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	batchlisters "k8s.io/client-go/listers/batch/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/logship"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// Options configure a Runtime.
type Options struct {
	// ClusterID is the id virtual clusters name in containerProvider.id.
	ClusterID string
	Client    kubernetes.Interface
	// Images map release labels to images; DefaultImages when empty.
	Images []Image
	// SparkDefaults are Spark properties every run starts from.
	SparkDefaults map[string]string
	// S3A is the object storage s3:// and s3a:// URIs reach through the S3A
	// connector: its endpoint, region and addressing go under SparkDefaults.
	// Credentials are the pods' (IRSA, or the role's KubernetesSecret).
	S3A sparksubmit.S3A
	// Roles are what the runs of each execution role (by ARN) get beyond
	// IRSA; a role not listed gets nothing more.
	Roles map[string]RoleGrant
	// DefaultKeys, when set, returns the access keys the runs of roles
	// that map no KubernetesSecret get, as the local runtime gives them
	// s3.credentialsFile: the runtime keeps them in the secret
	// DefaultSecretName of the run's namespace (created and updated as
	// needed) and grants that secret to those runs as their role's. The
	// embedded cluster's only (its S3 server has no IRSA); nil: such runs
	// get IRSA alone.
	DefaultKeys func() (AccessKeys, error)
	// PodTemplateDirs are the folders of the server's machine whose files
	// runs may name as pod templates (podTemplateFile); none: no pod
	// template file is read.
	PodTemplateDirs []string
	// S3 opens the object storage with the credentials of an execution
	// role, to read the pod templates its runs name in S3 (podTemplateFile
	// s3://…), which are then checked as local ones; nil: such templates
	// are refused. Spark reads the rest of a run's code in S3 itself,
	// through S3A.
	S3 func(ctx context.Context, executionRoleARN string) (ObjectReader, error)
	// AllowPrivilegedPodTemplates lets pod templates ask for host
	// namespaces, hostPath volumes, nodeName, host ports, privileged
	// containers and added capabilities.
	AllowPrivilegedPodTemplates bool
	// Archive, when set, receives the job runner's and driver's logs of
	// every attempt that ends (see CollectLogs); nil: they are readable
	// only while the pods exist.
	Archive runtime.LogArchive
	// Usage, when set, receives the metered usage of every pod of a run
	// and of the nodes they ran on (for cost reports).
	Usage runtime.UsageSink
	// EventLogDir, when set, returns the folder (s3a://…/, made to exist)
	// that the driver of run writes its Spark event log into, "" for none
	// (eventlog.go); nil: drivers write none.
	EventLogDir func(ctx context.Context, run *emr.JobRun) (string, error)
	Logger      *slog.Logger
	// Ship, when set, says where the container logs of each run go (its
	// monitoringConfiguration): every pod's log is followed and shipped
	// while it runs (ship.go); nil: nowhere.
	Ship logship.Opener
	// ShipDir holds the copies of the logs being shipped (0700); the
	// server's own.
	ShipDir string
	// ShipInterval is how often the logs of running pods are shipped
	// again; 0: logship.DefaultInterval.
	ShipInterval time.Duration
	// JobRunner is the job runner container's requests and limits; a
	// resource it does not name gets EMR's (jobrunner.go).
	JobRunner corev1.ResourceRequirements
	// Admission is what a run must fit before it is submitted (admission.go):
	// AdmitNodes (the zero value), AdmitQuota or AdmitOff.
	Admission AdmissionMode
	// SubmissionMode is how runs that choose none are submitted (the
	// sparkplane classification's submissionMode); "": emr.SubmitJobRunner.
	SubmissionMode emr.SubmissionMode
}

// Runtime runs job runs on one Kubernetes cluster.
type Runtime struct {
	opts   Options
	events chan string

	mu      sync.Mutex
	watches map[string]*nsWatch // by namespace
	closed  bool

	rbacReady     sync.Map // "<namespace>/<role ARN>" → true once its accounts and RBAC exist
	defaultSecret sync.Map // namespace → the AccessKeys its DefaultSecretName holds
	meter         *meter   // nil without Options.Usage
	ships         *shipper // nil without Options.Ship
	adm           admissions
}

var (
	_ runtime.Runtime      = (*Runtime)(nil)
	_ runtime.LogCollector = (*Runtime)(nil)
	_ runtime.LiveLogs     = (*Runtime)(nil)
)

// nsWatch is the informer cache of the run objects of one namespace.
type nsWatch struct {
	jobs batchlisters.JobNamespaceLister
	pods corelisters.PodNamespaceLister
	stop chan struct{}
}

// New returns a runtime; Close stops its watches.
func New(opts Options) *Runtime {
	if len(opts.Images) == 0 {
		opts.Images = DefaultImages
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	r := &Runtime{opts: opts, events: make(chan string, 4096), watches: map[string]*nsWatch{}}
	if opts.Usage != nil {
		r.meter = newMeter(opts.Usage, opts.Client, opts.Logger)
	}
	r.ships = newShipper(&r.opts)
	return r
}

// Events implements runtime.Runtime.
func (r *Runtime) Events() <-chan string { return r.events }

// Close stops every watch.
func (r *Runtime) Close() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	for _, w := range r.watches {
		close(w.stop)
	}
	r.watches = map[string]*nsWatch{}
	r.meter.close()
	r.ships.close()
	r.adm.close()
}

// watch returns the synced cache of a namespace, starting it on first use.
// Only objects that carry the job-id label are cached.
func (r *Runtime) watch(ctx context.Context, ns string) (*nsWatch, error) {
	r.mu.Lock()
	if w, ok := r.watches[ns]; ok {
		r.mu.Unlock()
		return w, nil
	}
	if r.closed {
		r.mu.Unlock()
		return nil, fmt.Errorf("runtime closed")
	}
	f := informers.NewSharedInformerFactoryWithOptions(r.opts.Client, 10*time.Minute,
		informers.WithNamespace(ns), trimmed(),
		informers.WithTweakListOptions(func(o *metav1.ListOptions) { o.LabelSelector = LabelJobID }))
	jobs, pods := f.Batch().V1().Jobs(), f.Core().V1().Pods()
	handler := cache.ResourceEventHandlerFuncs{
		AddFunc:    r.enqueue,
		UpdateFunc: func(_, obj any) { r.enqueue(obj) },
		DeleteFunc: r.enqueue,
	}
	if _, err := jobs.Informer().AddEventHandler(handler); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	podHandler := cache.ResourceEventHandlerFuncs{
		AddFunc: func(obj any) { r.enqueue(obj); r.meter.observe(obj, false); r.ships.podChanged(obj) },
		UpdateFunc: func(_, obj any) {
			r.enqueue(obj)
			r.meter.observe(obj, false)
			r.ships.podChanged(obj)
			r.podChangedForAdmission(obj, false)
		},
		DeleteFunc: func(obj any) {
			r.enqueue(obj)
			r.podChangedForAdmission(obj, true)
			if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
				obj = d.Obj
			}
			r.meter.observe(obj, true)
		},
	}
	if _, err := pods.Informer().AddEventHandler(podHandler); err != nil {
		r.mu.Unlock()
		return nil, err
	}
	w := &nsWatch{jobs: jobs.Lister().Jobs(ns), pods: pods.Lister().Pods(ns), stop: make(chan struct{})}
	r.watches[ns] = w
	f.Start(w.stop)
	r.mu.Unlock()

	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return nil, fmt.Errorf("watch %v in namespace %s: cache did not sync", typ, ns)
		}
	}
	return w, nil
}

// enqueue turns an informer event into the key of the run it belongs to.
func (r *Runtime) enqueue(obj any) {
	if d, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		obj = d.Obj
	}
	m, ok := obj.(metav1.Object)
	if !ok {
		return
	}
	vc, id := m.GetLabels()[LabelVirtualCluster], m.GetLabels()[LabelJobID]
	if vc == "" || id == "" {
		return
	}
	select {
	case r.events <- runtime.Key(vc, id):
	default: // the controller's resync catches up
	}
}

// Submit implements runtime.Runtime: the service accounts and RBAC of
// the execution role, the job runner Job, then its ConfigMaps owned by it.
func (r *Runtime) Submit(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) error {
	p, err := newPlanWith(vc, run, &r.opts, r.templateSource(ctx, run))
	if err != nil {
		return planError(err)
	}
	if _, err := r.watch(ctx, p.ns); err != nil {
		return err
	}
	if err := r.prepare(ctx, p, run); err != nil {
		return err
	}
	if r.mode(run) == emr.SubmitNative {
		return r.createNative(ctx, p, run, false)
	}
	c := r.opts.Client
	job, err := c.BatchV1().Jobs(p.ns).Create(ctx, p.job(), metav1.CreateOptions{FieldManager: fieldManager})
	if apierrors.IsAlreadyExists(err) {
		job, err = c.BatchV1().Jobs(p.ns).Get(ctx, p.name, metav1.GetOptions{})
	}
	if err != nil {
		return clusterError("create the job runner Job", p.ns, err)
	}
	tmpl, err := p.podTemplateConfigMap(job)
	if err != nil {
		return err
	}
	for _, cm := range []*corev1.ConfigMap{p.sparkDefaultsConfigMap(job), tmpl} {
		if _, err := c.CoreV1().ConfigMaps(p.ns).Create(ctx, cm, metav1.CreateOptions{FieldManager: fieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
			return clusterError("create ConfigMap "+cm.Name, p.ns, err)
		}
	}
	return nil
}

// prepare readies the namespace for the run's pods: its event log
// location, the default grant's secret and the run's accounts and roles.
func (r *Runtime) prepare(ctx context.Context, p *plan, run *emr.JobRun) error {
	r.withEventLog(ctx, p, run)
	if p.defaultGrant {
		if err := r.ensureDefaultSecret(ctx, p.ns); err != nil {
			return err
		}
	}
	return r.ensureRBAC(ctx, p)
}

// fieldManager names sparkplane as the writer of the objects it creates.
const fieldManager = "sparkplane"

// clusterError turns a refusal of the cluster that retrying cannot fix
// (forbidden, no such namespace, invalid object) into a failed run that
// says what to do; other errors are retried.
func clusterError(what, ns string, err error) error {
	switch {
	case apierrors.IsForbidden(err):
		return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable,
			Message: fmt.Sprintf("sparkplane may not %s in namespace %s (apply deploy/rbac/namespace-role.yaml there): %v", what, ns, err)}
	case apierrors.IsNotFound(err):
		return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable,
			Message: fmt.Sprintf("cannot %s: namespace %s does not exist: %v", what, ns, err)}
	case apierrors.IsInvalid(err):
		return &runtime.SubmitError{Reason: emr.FailureValidation, Message: fmt.Sprintf("cannot %s: %v", what, err)}
	}
	return fmt.Errorf("%s in namespace %s: %w", what, ns, err)
}

// Observe implements runtime.Runtime, from the informer cache; a Job the
// cache has not seen yet (just created) is read from the API server.
func (r *Runtime) Observe(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (runtime.Observation, error) {
	ns := vc.ContainerProvider.Namespace()
	w, err := r.watch(ctx, ns)
	if err != nil {
		return runtime.Observation{}, err
	}
	if r.mode(run) == emr.SubmitNative {
		return r.observeNative(ctx, w, ns, vc, run)
	}
	name := JobName(run)
	job, err := w.jobs.Get(name)
	if apierrors.IsNotFound(err) {
		job, err = r.opts.Client.BatchV1().Jobs(ns).Get(ctx, name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return runtime.Observation{Phase: runtime.PhaseUnknown}, nil
		}
	}
	if err != nil {
		return runtime.Observation{}, fmt.Errorf("get job runner %s: %w", name, err)
	}
	pods, err := w.pods.List(attemptSelector(run))
	if err != nil {
		return runtime.Observation{}, err
	}
	r.adoptDriver(ctx, job, pods)
	r.ships.observe(ctx, run, ns, w.pods, pods)
	return r.observation(ctx, vc, run, job, pods, job.CreationTimestamp.Time), nil
}

// observation is what job and pods say of run (job: an empty Job in native
// mode), submitted at submitted; a failed pod's cause is added to the
// details, and an ended run's admission reservation released.
func (r *Runtime) observation(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun, job *batchv1.Job, pods []*corev1.Pod, submitted time.Time) runtime.Observation {
	obs, failed := observe(job, pods)
	obs.SubmittedAt = submitted
	if obs.Phase == runtime.PhaseSucceeded || obs.Phase == runtime.PhaseFailed {
		r.releaseReservation(runtime.Key(vc.ID, run.ID))
	}
	if failed != nil {
		if cause := r.failureCause(ctx, failed); cause != "" && !strings.Contains(obs.Details, cause) {
			obs.Details += ". " + cause
		}
	}
	return obs
}

// adoptDriver makes the Job an owner of the driver pod Spark created, so
// deleting the Job removes the driver and, through it, the executors.
func (r *Runtime) adoptDriver(ctx context.Context, job *batchv1.Job, pods []*corev1.Pod) {
	driver := newest(pods, ComponentDriver)
	if driver == nil || driver.DeletionTimestamp != nil {
		return
	}
	for _, o := range driver.OwnerReferences {
		if o.UID == job.UID {
			return
		}
	}
	if len(driver.OwnerReferences) > 0 {
		return // never replace an owner someone else set
	}
	patch := fmt.Sprintf(`{"metadata":{"ownerReferences":[{"apiVersion":"batch/v1","kind":"Job","name":%q,"uid":%q}]}}`, job.Name, job.UID)
	if _, err := r.opts.Client.CoreV1().Pods(driver.Namespace).Patch(ctx, driver.Name, types.MergePatchType, []byte(patch), metav1.PatchOptions{FieldManager: fieldManager}); err != nil {
		r.opts.Logger.Warn("could not make the Job own the driver pod", "pod", driver.Name, "err", err)
	}
}

// Stop implements runtime.Runtime: it deletes the Job, the run's pods and
// ConfigMaps, and reports gone once the API server holds none of them.
func (r *Runtime) Stop(ctx context.Context, vc *emr.VirtualCluster, run *emr.JobRun) (bool, error) {
	ns, c := vc.ContainerProvider.Namespace(), r.opts.Client
	r.releaseReservation(runtime.Key(vc.ID, run.ID))
	sel := metav1.ListOptions{LabelSelector: LabelJobID + "=" + run.ID}
	background := metav1.DeletePropagationBackground
	jobs, err := c.BatchV1().Jobs(ns).List(ctx, sel)
	if err != nil {
		return false, fmt.Errorf("list job runners: %w", err)
	}
	for _, j := range jobs.Items { // every attempt's
		err := c.BatchV1().Jobs(ns).Delete(ctx, j.Name, metav1.DeleteOptions{PropagationPolicy: &background})
		if err != nil && !apierrors.IsNotFound(err) {
			return false, fmt.Errorf("delete job runner %s: %w", j.Name, err)
		}
	}
	if err := c.CoreV1().Pods(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("delete pods: %w", err)
	}
	if err := c.CoreV1().ConfigMaps(ns).DeleteCollection(ctx, metav1.DeleteOptions{}, sel); err != nil && !apierrors.IsNotFound(err) {
		return false, fmt.Errorf("delete config maps: %w", err)
	}
	if jobs, err = c.BatchV1().Jobs(ns).List(ctx, sel); err != nil || len(jobs.Items) > 0 {
		return false, err
	}
	pods, err := c.CoreV1().Pods(ns).List(ctx, sel)
	if err != nil {
		return false, fmt.Errorf("list pods: %w", err)
	}
	return len(pods.Items) == 0, nil
}

// attemptSelector selects the pods of the run's current attempt.
func attemptSelector(run *emr.JobRun) labels.Selector {
	return labels.SelectorFromSet(labels.Set{LabelJobID: run.ID, LabelAttempt: strconv.Itoa(run.Attempt())})
}
