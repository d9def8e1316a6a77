package ack

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"sync"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/discovery"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/dynamic/dynamicinformer"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/util/workqueue"
)

// Leases is how replicas sharing a store agree which one reconciles (see
// store.Leases).
type Leases interface {
	AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (bool, error)
	ReleaseLeases(ctx context.Context, owner string, names ...string) error
}

// Options configure a Reconciler.
type Options struct {
	// Client reaches the cluster whose custom resources are reconciled;
	// Discovery tells when their definitions are installed.
	Client    dynamic.Interface
	Discovery discovery.DiscoveryInterface
	// API is the emr-containers API the resources are reconciled through
	// (InProcessClient).
	API API
	// Namespaces limits the reconciler to these; empty: all.
	Namespaces []string
	// Partition, Region and Account fill status.ackResourceMetadata.
	Partition, Region, Account string
	// Leases, when set, let one replica of those sharing a store
	// reconcile at a time: the one holding the lease LeaseName as Owner.
	// Nil: this server is alone and always reconciles.
	Leases    Leases
	LeaseName string
	Owner     string
	// Poll is how often an active run is described (default 5s).
	Poll   time.Duration
	Logger *slog.Logger
}

// Defaults of Options and the lease.
const (
	DefaultPoll = 5 * time.Second
	leaseTTL    = 30 * time.Second
	resync      = 10 * time.Minute
	waitCRDs    = 2 * time.Second
	workers     = 2
)

// key identifies one custom resource.
type key struct {
	resource  schema.GroupVersionResource
	namespace string
	name      string
}

// Reconciler reconciles the JobRun and VirtualCluster resources of one
// cluster through the API.
type Reconciler struct {
	opts     Options
	queue    workqueue.TypedRateLimitingInterface[key]
	informer map[schema.GroupVersionResource][]cache.SharedIndexInformer

	mu          sync.Mutex
	leaderUntil time.Time
}

// New returns the reconciler of opts; Run starts it.
func New(opts Options) *Reconciler {
	if opts.Poll <= 0 {
		opts.Poll = DefaultPoll
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	return &Reconciler{opts: opts, queue: workqueue.NewTypedRateLimitingQueue(workqueue.DefaultTypedControllerRateLimiter[key]()),
		informer: map[schema.GroupVersionResource][]cache.SharedIndexInformer{}}
}

// Run waits for the custom resource definitions to be installed, then
// reconciles until ctx ends.
func (r *Reconciler) Run(ctx context.Context) {
	defer r.queue.ShutDown()
	if !r.awaitDefinitions(ctx) {
		return
	}
	namespaces := r.opts.Namespaces
	if len(namespaces) == 0 {
		namespaces = []string{metav1.NamespaceAll}
	}
	for _, ns := range namespaces {
		f := dynamicinformer.NewFilteredDynamicSharedInformerFactory(r.opts.Client, resync, ns, nil)
		for _, res := range []schema.GroupVersionResource{JobRunResource, VirtualClusterResource} {
			inf := f.ForResource(res).Informer()
			_, _ = inf.AddEventHandler(cache.ResourceEventHandlerFuncs{
				AddFunc:    func(obj any) { r.enqueue(res, obj) },
				UpdateFunc: func(_, obj any) { r.enqueue(res, obj) },
			})
			r.informer[res] = append(r.informer[res], inf)
		}
		f.Start(ctx.Done())
		f.WaitForCacheSync(ctx.Done())
	}
	r.opts.Logger.Info("reconciling ACK resources", "group", Group, "namespaces", r.opts.Namespaces)
	var wg sync.WaitGroup
	wg.Go(func() { r.lead(ctx) })
	for range workers {
		wg.Go(func() {
			for r.processNext(ctx) {
			}
		})
	}
	<-ctx.Done()
	r.queue.ShutDown()
	wg.Wait()
}

// awaitDefinitions waits until the cluster serves both resources.
func (r *Reconciler) awaitDefinitions(ctx context.Context) bool {
	logged := false
	for {
		rl, err := r.opts.Discovery.ServerResourcesForGroupVersion(Group + "/" + Version)
		if err == nil && served(rl, JobRunResource.Resource) && served(rl, VirtualClusterResource.Resource) {
			return true
		}
		if !logged {
			r.opts.Logger.Info("waiting for the ACK custom resource definitions (kubectl apply -f deploy/ack/crds.yaml)", "group", Group)
			logged = true
		}
		select {
		case <-ctx.Done():
			return false
		case <-time.After(waitCRDs):
		}
	}
}

func served(rl *metav1.APIResourceList, resource string) bool {
	return slices.ContainsFunc(rl.APIResources, func(r metav1.APIResource) bool { return r.Name == resource })
}

func (r *Reconciler) enqueue(res schema.GroupVersionResource, obj any) {
	if u, ok := obj.(*unstructured.Unstructured); ok {
		r.queue.Add(key{resource: res, namespace: u.GetNamespace(), name: u.GetName()})
	}
}

// enqueueAll asks for a pass over every resource (leadership was gained).
func (r *Reconciler) enqueueAll() {
	for res, infs := range r.informer {
		for _, inf := range infs {
			for _, obj := range inf.GetStore().List() {
				r.enqueue(res, obj)
			}
		}
	}
}

// lead keeps the lease (when there are leases) for as long as ctx lasts.
func (r *Reconciler) lead(ctx context.Context) {
	if r.opts.Leases == nil {
		r.setLeader(time.Now().Add(100 * 365 * 24 * time.Hour))
		r.enqueueAll()
		<-ctx.Done()
		return
	}
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		_ = r.opts.Leases.ReleaseLeases(rctx, r.opts.Owner, r.opts.LeaseName)
	}()
	for {
		start := time.Now()
		ok, err := r.opts.Leases.AcquireLease(ctx, r.opts.LeaseName, r.opts.Owner, leaseTTL)
		if err != nil && ctx.Err() == nil {
			r.opts.Logger.Warn("ACK reconciler: lease", "err", err)
		}
		if ok {
			if !r.isLeader() {
				r.opts.Logger.Info("ACK reconciler: this server reconciles", "lease", r.opts.LeaseName)
				r.setLeader(start.Add(leaseTTL))
				r.enqueueAll()
			}
			r.setLeader(start.Add(leaseTTL))
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(leaseTTL / 3):
		}
	}
}

func (r *Reconciler) setLeader(until time.Time) {
	r.mu.Lock()
	r.leaderUntil = until
	r.mu.Unlock()
}

func (r *Reconciler) isLeader() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().Before(r.leaderUntil)
}

// processNext handles one key: level-triggered, so a failed pass is just
// tried again later.
func (r *Reconciler) processNext(ctx context.Context) bool {
	k, quit := r.queue.Get()
	if quit {
		return false
	}
	defer r.queue.Done(k)
	if !r.isLeader() { // the leader will pass over it (enqueueAll)
		r.queue.Forget(k)
		return true
	}
	var after time.Duration
	var err error
	switch k.resource {
	case JobRunResource:
		after, err = r.syncJobRun(ctx, k)
	case VirtualClusterResource:
		after, err = r.syncVirtualCluster(ctx, k)
	}
	if err != nil {
		if ctx.Err() == nil {
			r.opts.Logger.Warn("ACK reconciler: will retry", "resource", k.resource.Resource, "namespace", k.namespace, "name", k.name, "err", err)
		}
		r.queue.AddRateLimited(k)
		return true
	}
	r.queue.Forget(k)
	if after > 0 {
		r.queue.AddAfter(k, after)
	}
	return true
}

// get returns the cached object of k, nil when there is none.
func (r *Reconciler) get(k key) (*unstructured.Unstructured, error) {
	for _, inf := range r.informer[k.resource] {
		obj, ok, err := inf.GetStore().GetByKey(k.namespace + "/" + k.name)
		if err != nil {
			return nil, err
		}
		if ok {
			return obj.(*unstructured.Unstructured).DeepCopy(), nil
		}
	}
	return nil, nil
}

// decode reads u into out (a *JobRun or a *VirtualCluster).
func decode(u *unstructured.Unstructured, out any) error {
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.UnstructuredContent(), out); err != nil {
		return fmt.Errorf("%s %s/%s: %w", u.GetKind(), u.GetNamespace(), u.GetName(), err)
	}
	return nil
}

// ensureFinalizer adds finalizer to u (written at once) and returns the
// object as stored.
func (r *Reconciler) ensureFinalizer(ctx context.Context, res schema.GroupVersionResource, u *unstructured.Unstructured, finalizer string) (*unstructured.Unstructured, error) {
	if slices.Contains(u.GetFinalizers(), finalizer) {
		return u, nil
	}
	u.SetFinalizers(append(u.GetFinalizers(), finalizer))
	return r.opts.Client.Resource(res).Namespace(u.GetNamespace()).Update(ctx, u, metav1.UpdateOptions{})
}

// removeFinalizer lets the API server delete u.
func (r *Reconciler) removeFinalizer(ctx context.Context, res schema.GroupVersionResource, u *unstructured.Unstructured, finalizer string) error {
	fs := u.GetFinalizers()
	if !slices.Contains(fs, finalizer) {
		return nil
	}
	u.SetFinalizers(slices.DeleteFunc(slices.Clone(fs), func(f string) bool { return f == finalizer }))
	_, err := r.opts.Client.Resource(res).Namespace(u.GetNamespace()).Update(ctx, u, metav1.UpdateOptions{})
	if apierrors.IsNotFound(err) {
		return nil
	}
	return err
}

// status is the status of a resource kind.
type status interface {
	*JobRunStatus | *VirtualClusterStatus
}

// statusObject is st as the content of an object's status.
func statusObject[S status](st S) (map[string]any, error) {
	return runtime.DefaultUnstructuredConverter.ToUnstructured(st)
}

// writeStatus stores st as u's status when it differs from what u has.
func writeStatus[S status](ctx context.Context, r *Reconciler, res schema.GroupVersionResource, u *unstructured.Unstructured, status S) error {
	st, err := statusObject(status)
	if err != nil {
		return err
	}
	old, _, _ := unstructured.NestedMap(u.Object, "status")
	if equalStatus(old, st) {
		return nil
	}
	u.Object["status"] = st
	_, err = r.opts.Client.Resource(res).Namespace(u.GetNamespace()).UpdateStatus(ctx, u, metav1.UpdateOptions{})
	return err
}

// metadata is the ackResourceMetadata of a resource of ARN arn.
func (r *Reconciler) metadata(arn *string) *ResourceMetadata {
	p := r.opts.Partition
	return &ResourceMetadata{ARN: arn, OwnerAccountID: r.opts.Account, Region: r.opts.Region, Partition: &p}
}
