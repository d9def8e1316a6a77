package nodeagent

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"path/filepath"
	"sync"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/virtual-kubelet/virtual-kubelet/errdefs"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	corev1listers "k8s.io/client-go/listers/core/v1"
	statsv1alpha1 "k8s.io/kubelet/pkg/apis/stats/v1alpha1"
)

// hostIP is the node's address: pods and the kubelet API are on this host.
var hostIP = netip.MustParseAddr("127.0.0.1")

// provider is the virtual-kubelet provider: it keeps one podRun per pod
// bound to the node.
type provider struct {
	cfg      Config
	client   kubernetes.Interface
	log      *slog.Logger
	node     *corev1.Node
	ipam     *ipam
	pods     corev1listers.PodLister // every pod of the cluster
	services corev1listers.ServiceLister
	ctx      context.Context // the agent's lifetime, for API calls of runs

	mu   sync.Mutex
	runs map[string]*podRun // by namespace/name
	// created are mount points sandboxes created on the host, removed once
	// no pod mounts there (see removeMountPoints).
	created map[string]bool
	notify  func(*corev1.Pod)
	wg      sync.WaitGroup // one per podRun goroutine and deletion

	hostsChanged chan struct{}
}

func podKey(namespace, name string) string { return namespace + "/" + name }

// CreatePod starts running a pod bound to the node.
func (p *provider) CreatePod(ctx context.Context, pod *corev1.Pod) error {
	key := podKey(pod.Namespace, pod.Name)
	p.mu.Lock()
	defer p.mu.Unlock()
	if old, ok := p.runs[key]; ok {
		if old.uid() == pod.UID {
			return nil
		}
		// A new pod of the same name replaces one force-deleted while it
		// ran: stop the old one; virtual-kubelet retries this create.
		go old.stop(0)
		old.deleteOnce.Do(func() { p.finishDeletion(old, pod) }) // forgets it once stopped
		return fmt.Errorf("pod %s: the previous pod of this name (uid %s) is still stopping", key, old.uid())
	}
	if startedBefore(pod) {
		r := lostRun(p, pod)
		p.runs[key] = r
		p.log.Warn("pod was running under a previous node agent; marking it failed", "pod", key)
		p.wg.Add(1)
		go func() { defer p.wg.Done(); p.notifyPod(r.podWithStatus()) }()
		return nil
	}
	ip, err := p.ipam.allocate()
	if err != nil {
		return err
	}
	r := newRun(p, pod, ip)
	p.runs[key] = r
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		r.run()
	}()
	p.log.Info("pod accepted", "pod", key, "ip", ip)
	return nil
}

// startedBefore says whether a previous agent started the pod's containers:
// those processes died with it, so the pod cannot be resumed.
func startedBefore(pod *corev1.Pod) bool {
	if pod.Status.Phase == corev1.PodRunning {
		return true
	}
	for _, cs := range append(append([]corev1.ContainerStatus{}, pod.Status.InitContainerStatuses...), pod.Status.ContainerStatuses...) {
		if cs.State.Running != nil || cs.State.Terminated != nil {
			return true
		}
	}
	return false
}

// UpdatePod keeps the pod's newest metadata (labels, annotations); running
// containers are not changed.
func (p *provider) UpdatePod(ctx context.Context, pod *corev1.Pod) error {
	if r := p.run(pod.Namespace, pod.Name); r != nil && r.uid() == pod.UID {
		r.update(pod)
	}
	return nil
}

// DeletePod stops the pod's containers (SIGTERM, SIGKILL after the grace
// period) and, once they have exited, removes the pod from the apiserver.
func (p *provider) DeletePod(ctx context.Context, pod *corev1.Pod) error {
	r := p.run(pod.Namespace, pod.Name)
	if r == nil || r.uid() != pod.UID {
		return errdefs.NotFoundf("pod %s/%s is not on this node", pod.Namespace, pod.Name)
	}
	grace := 30 * time.Second
	if pod.DeletionGracePeriodSeconds != nil {
		grace = time.Duration(*pod.DeletionGracePeriodSeconds) * time.Second
	} else if pod.Spec.TerminationGracePeriodSeconds != nil {
		grace = time.Duration(*pod.Spec.TerminationGracePeriodSeconds) * time.Second
	}
	r.stop(grace)
	r.deleteOnce.Do(func() { p.finishDeletion(r, pod) })
	return nil
}

// finishDeletion waits for the pod's processes to exit, then forgets the
// pod and removes it from the apiserver at once (virtual-kubelet itself
// would wait for the whole grace period).
func (p *provider) finishDeletion(r *podRun, pod *corev1.Pod) {
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		<-r.done
		p.forget(r)
		if p.ctx.Err() != nil {
			return
		}
		opts := metav1.DeleteOptions{GracePeriodSeconds: new(int64), Preconditions: metav1.NewUIDPreconditions(string(r.uid()))}
		err := p.client.CoreV1().Pods(pod.Namespace).Delete(p.ctx, pod.Name, opts)
		if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsConflict(err) {
			p.log.Warn("finish pod deletion", "pod", r.key, "err", err)
			return
		}
		p.log.Info("pod deleted", "pod", r.key)
	}()
}

// forget drops a run whose processes have all exited, with its state
// directory (its logs stay).
func (p *provider) forget(r *podRun) {
	p.mu.Lock()
	if p.runs[r.key] == r {
		delete(p.runs, r.key)
	}
	p.removeMountPoints(r)
	p.mu.Unlock()
	if err := os.RemoveAll(r.dir); err != nil {
		p.log.Warn("remove pod state", "pod", r.key, "err", err)
	}
}

func (p *provider) run(namespace, name string) *podRun {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.runs[podKey(namespace, name)]
}

func (p *provider) allRuns() []*podRun {
	p.mu.Lock()
	defer p.mu.Unlock()
	runs := make([]*podRun, 0, len(p.runs))
	for _, r := range p.runs {
		runs = append(runs, r)
	}
	return runs
}

// GetPod returns the pod with the status the node sees.
func (p *provider) GetPod(ctx context.Context, namespace, name string) (*corev1.Pod, error) {
	r := p.run(namespace, name)
	if r == nil {
		return nil, errdefs.NotFoundf("pod %s/%s is not on this node", namespace, name)
	}
	return r.podWithStatus(), nil
}

// GetPodStatus returns the status the node sees.
func (p *provider) GetPodStatus(ctx context.Context, namespace, name string) (*corev1.PodStatus, error) {
	pod, err := p.GetPod(ctx, namespace, name)
	if err != nil {
		return nil, err
	}
	return &pod.Status, nil
}

// GetPods returns every pod on the node.
func (p *provider) GetPods(context.Context) ([]*corev1.Pod, error) {
	runs := p.allRuns()
	pods := make([]*corev1.Pod, len(runs))
	for i, r := range runs {
		pods[i] = r.podWithStatus()
	}
	return pods, nil
}

// NotifyPods registers the callback that receives each status change.
func (p *provider) NotifyPods(_ context.Context, cb func(*corev1.Pod)) {
	p.mu.Lock()
	p.notify = cb
	p.mu.Unlock()
}

func (p *provider) notifyPod(pod *corev1.Pod) {
	p.mu.Lock()
	cb := p.notify
	p.mu.Unlock()
	if cb != nil {
		cb(pod)
	}
}

// shutdown kills every pod's processes and waits for them.
func (p *provider) shutdown() {
	for _, r := range p.allRuns() {
		r.stop(0)
	}
	p.wg.Wait()
	p.removeAllMountPoints() // no pod runs any more
}

// podDir is where a pod's volumes and hosts file live.
func (p *provider) podDir(pod *corev1.Pod) string {
	return filepath.Join(p.cfg.StateDir, "pods", string(pod.UID))
}

// logPath is the log file of a container; it is kept after the pod is gone.
func (p *provider) logPath(namespace, name string, uid any, container string) string {
	return filepath.Join(p.cfg.StateDir, "logs", fmt.Sprintf("%s_%s_%s", namespace, name, uid), container+".log")
}

// RunInContainer is not offered: containers are plain processes.
func (p *provider) RunInContainer(context.Context, string, string, string, []string, api.AttachIO) error {
	return errdefs.InvalidInput("exec is not supported by the sparkplane node agent")
}

// AttachToContainer is not offered.
func (p *provider) AttachToContainer(context.Context, string, string, string, api.AttachIO) error {
	return errdefs.InvalidInput("attach is not supported by the sparkplane node agent")
}

// PortForward is not offered: pod IPs are host addresses, reachable directly.
func (p *provider) PortForward(context.Context, string, string, int32, io.ReadWriteCloser) error {
	return errdefs.InvalidInput("port-forward is not supported by the sparkplane node agent; pod IPs are reachable from the host")
}

// GetStatsSummary reports the node only: no per-pod accounting is kept.
func (p *provider) GetStatsSummary(context.Context) (*statsv1alpha1.Summary, error) {
	return &statsv1alpha1.Summary{Node: statsv1alpha1.NodeStats{NodeName: p.node.Name, StartTime: p.node.CreationTimestamp}}, nil
}

// GetMetricsResource reports no metrics.
func (p *provider) GetMetricsResource(context.Context) ([]*dto.MetricFamily, error) {
	return nil, nil
}
