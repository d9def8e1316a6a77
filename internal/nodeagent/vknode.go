package nodeagent

import (
	"context"
	"fmt"
	"net/http"
	"time"

	"github.com/virtual-kubelet/virtual-kubelet/node"
	"github.com/virtual-kubelet/virtual-kubelet/node/api"
	"github.com/virtual-kubelet/virtual-kubelet/node/nodeutil"
	"golang.org/x/time/rate"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	"k8s.io/client-go/tools/record"
	"k8s.io/client-go/util/workqueue"
)

// vkNode is the virtual-kubelet half of the node: a pod controller that
// hands this node's pods to the provider and writes back their status, and
// a node controller that registers the Node, renews its lease and marks it
// Ready. It does what nodeutil.NewNode and its Run do, less what the agent
// does itself (listener, TLS), and gives the pod controller's queues
// podQueueLimiter instead of client-go's default.
type vkNode struct {
	client kubernetes.Interface
	pods   informers.SharedInformerFactory // this node's pods only
	events record.EventBroadcaster
	pc     *node.PodController
	nc     *node.NodeController
	np     *node.NaiveNodeProviderV2
	spec   *corev1.Node

	ready, done chan struct{}
	err         error // set before done is closed
}

// newVKNode builds the node controllers for p. The pod controller's
// secret, config map and service informers come from shared, which the
// caller starts; with downward API resolution skipped it never reads them.
func newVKNode(client kubernetes.Interface, p *provider, shared informers.SharedInformerFactory) (*vkNode, error) {
	n := &vkNode{
		client: client, spec: p.node.DeepCopy(), np: node.NewNaiveNodeProvider(), events: record.NewBroadcaster(),
		pods:  informers.NewSharedInformerFactoryWithOptions(client, time.Minute, nodeutil.PodInformerFilter(p.cfg.NodeName)),
		ready: make(chan struct{}), done: make(chan struct{}),
	}
	var err error
	n.nc, err = node.NewNodeController(n.np, n.spec, client.CoreV1().Nodes(),
		node.WithNodeEnableLeaseV1(nodeutil.NodeLeaseV1Client(client), node.DefaultLeaseDuration))
	if err != nil {
		return nil, fmt.Errorf("nodeagent: node controller: %w", err)
	}
	n.pc, err = node.NewPodController(node.PodControllerConfig{
		PodClient:                            client.CoreV1(),
		EventRecorder:                        n.events.NewRecorder(scheme.Scheme, corev1.EventSource{Component: p.cfg.NodeName + "/pod-controller"}),
		Provider:                             p,
		PodInformer:                          n.pods.Core().V1().Pods(),
		SecretInformer:                       shared.Core().V1().Secrets(),
		ConfigMapInformer:                    shared.Core().V1().ConfigMaps(),
		ServiceInformer:                      shared.Core().V1().Services(),
		SkipDownwardAPIResolution:            true, // env.go resolves it once the pod IP is known
		SyncPodsFromKubernetesRateLimiter:    podQueueLimiter(),
		DeletePodsFromKubernetesRateLimiter:  podQueueLimiter(),
		SyncPodStatusFromProviderRateLimiter: podQueueLimiter(),
	})
	if err != nil {
		return nil, fmt.Errorf("nodeagent: pod controller: %w", err)
	}
	return n, nil
}

// podQueueLimiter paces one of the pod controller's queues. A key whose
// sync fails is retried after 5 ms, doubling up to 30 s. The bucket only
// stops a runaway loop: client-go's default (10/s, burst 100) is shared by
// every pod and every status change, so once a first burst of pods had
// emptied it the node started about 5 pods a second.
func podQueueLimiter() workqueue.TypedRateLimiter[any] {
	return workqueue.NewTypedMaxOfRateLimiter(
		workqueue.NewTypedItemExponentialFailureRateLimiter[any](5*time.Millisecond, 30*time.Second),
		&workqueue.TypedBucketRateLimiter[any]{Limiter: rate.NewLimiter(500, 1000)},
	)
}

// handler serves the kubelet API (logs, exec, attach, port-forward, pods,
// stats) from p.
func (n *vkNode) handler(p *provider) http.Handler {
	pods := n.pods.Core().V1().Pods().Lister()
	return api.PodHandler(api.PodHandlerConfig{
		RunInContainer:        p.RunInContainer,
		AttachToContainer:     p.AttachToContainer,
		PortForward:           p.PortForward,
		GetContainerLogs:      p.GetContainerLogs,
		GetPods:               p.GetPods,
		GetPodsFromKubernetes: func(context.Context) ([]*corev1.Pod, error) { return pods.List(labels.Everything()) },
		GetStatsSummary:       p.GetStatsSummary,
		GetMetricsResource:    p.GetMetricsResource,
	}, true)
}

// run runs the controllers until ctx ends or one of them stops; Ready is
// closed once the pod controller is ready and the node is registered and
// marked Ready.
func (n *vkNode) run(ctx context.Context) (err error) {
	ctx, cancel := context.WithCancel(ctx)
	defer func() {
		cancel()
		n.err = err
		close(n.done)
	}()
	n.events.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: n.client.CoreV1().Events(corev1.NamespaceAll)})
	defer n.events.Shutdown()
	n.pods.Start(ctx.Done())
	defer n.pods.Shutdown()

	go n.pc.Run(ctx, 4) //nolint:errcheck // its error is n.pc.Err()
	defer func() { cancel(); <-n.pc.Done() }()
	select {
	case <-n.pc.Ready():
	case <-n.pc.Done():
		return stopped(ctx, "pod controller", n.pc.Err())
	case <-ctx.Done():
		return nil
	}
	go n.nc.Run(ctx) //nolint:errcheck // its error is n.nc.Err()
	defer func() { cancel(); <-n.nc.Done() }()
	select {
	case <-n.nc.Ready():
	case <-n.nc.Done():
		return stopped(ctx, "node controller", n.nc.Err())
	case <-ctx.Done():
		return nil
	}
	if n.np.UpdateStatus(ctx, readyNode(n.spec)) != nil {
		return nil // it fails only when ctx has ended
	}
	close(n.ready)
	select {
	case <-n.pc.Done():
		return stopped(ctx, "pod controller", n.pc.Err())
	case <-n.nc.Done():
		return stopped(ctx, "node controller", n.nc.Err())
	case <-ctx.Done():
		return nil
	}
}

// stopped is run's error when a controller has returned: none once ctx
// has ended, since the controllers then stop by design.
func stopped(ctx context.Context, controller string, err error) error {
	switch {
	case ctx.Err() != nil:
		return nil
	case err == nil:
		return fmt.Errorf("%s stopped", controller)
	}
	return fmt.Errorf("%s stopped: %w", controller, err)
}

// readyNode is a copy of spec with the Running phase and the Ready condition.
func readyNode(spec *corev1.Node) *corev1.Node {
	n := spec.DeepCopy()
	n.Status.Phase = corev1.NodeRunning
	for i, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady {
			now := metav1.Now()
			n.Status.Conditions[i] = corev1.NodeCondition{Type: corev1.NodeReady, Status: corev1.ConditionTrue,
				Reason: "KubeletReady", Message: "kubelet is ready", LastHeartbeatTime: now, LastTransitionTime: now}
		}
	}
	return n
}

// Ready is closed once the node is registered and marked Ready.
func (n *vkNode) Ready() <-chan struct{} { return n.ready }

// Done is closed when run has returned.
func (n *vkNode) Done() <-chan struct{} { return n.done }

// Err is run's error once Done is closed.
func (n *vkNode) Err() error { return n.err }
