package nodeagent

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"sort"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	corev1listers "k8s.io/client-go/listers/core/v1"
)

// serviceProxy gives Services' cluster IPs a meaning on this host, as
// kube-proxy does on a node: for every TCP port of every Service with a
// cluster IP and a selector, it listens at clusterIP:port and forwards each
// connection to the ready, running pods the Service selects, in turn, at
// the port targetPort names (the next pod when one refuses). The cluster
// IPs must be local to the host (the embedded cluster routes the service
// range to lo); a port that cannot be bound is logged and tried again at
// the next change of Services or pods.
type serviceProxy struct {
	pods     corev1listers.PodLister
	services corev1listers.ServiceLister
	log      *slog.Logger
	changed  chan struct{}
	turn     atomic.Uint64

	mu     sync.Mutex
	ports  map[string]*proxyPort // by listen address
	failed map[string]bool       // addresses that could not be bound (logged once)
}

// proxyPort is one listening Service port.
type proxyPort struct {
	ln              net.Listener
	namespace, name string
	port            corev1.ServicePort
}

func newServiceProxy(pods corev1listers.PodLister, services corev1listers.ServiceLister, log *slog.Logger) *serviceProxy {
	return &serviceProxy{pods: pods, services: services, log: log, changed: make(chan struct{}, 1),
		ports: map[string]*proxyPort{}, failed: map[string]bool{}}
}

// trigger asks for the listeners to be brought up to date.
func (sp *serviceProxy) trigger() {
	select {
	case sp.changed <- struct{}{}:
	default:
	}
}

// run keeps the listeners in step with the Services until ctx ends, then
// closes them.
func (sp *serviceProxy) run(ctx context.Context) {
	defer sp.closeAll()
	sp.sync()
	for {
		select {
		case <-ctx.Done():
			return
		case <-sp.changed:
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(50 * time.Millisecond):
		}
		sp.sync()
	}
}

// sync opens the listeners of new Service ports and closes those of ports
// that are gone.
func (sp *serviceProxy) sync() {
	services, err := sp.services.List(labels.Everything())
	if err != nil {
		sp.log.Warn("service proxy: list services", "err", err)
		return
	}
	want := map[string]*proxyPort{}
	for _, svc := range services {
		ip := svc.Spec.ClusterIP
		if ip == "" || ip == corev1.ClusterIPNone || len(svc.Spec.Selector) == 0 {
			continue
		}
		for _, port := range svc.Spec.Ports {
			if port.Protocol != "" && port.Protocol != corev1.ProtocolTCP {
				continue
			}
			want[net.JoinHostPort(ip, strconv.Itoa(int(port.Port)))] = &proxyPort{namespace: svc.Namespace, name: svc.Name, port: port}
		}
	}
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for addr, pp := range sp.ports {
		if w, ok := want[addr]; !ok || w.namespace != pp.namespace || w.name != pp.name {
			pp.ln.Close()
			delete(sp.ports, addr)
		}
	}
	for addr, w := range want {
		if pp, ok := sp.ports[addr]; ok {
			pp.port = w.port // targetPort may have changed
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			if !sp.failed[addr] {
				sp.log.Warn("service proxy: cannot listen at the cluster IP", "service", w.namespace+"/"+w.name, "addr", addr, "err", err)
				sp.failed[addr] = true
			}
			continue
		}
		delete(sp.failed, addr)
		w.ln = ln
		sp.ports[addr] = w
		go sp.serve(w)
	}
}

func (sp *serviceProxy) closeAll() {
	sp.mu.Lock()
	defer sp.mu.Unlock()
	for addr, pp := range sp.ports {
		pp.ln.Close()
		delete(sp.ports, addr)
	}
}

func (sp *serviceProxy) serve(pp *proxyPort) {
	for {
		c, err := pp.ln.Accept()
		if err != nil {
			if !errors.Is(err, net.ErrClosed) {
				sp.log.Warn("service proxy: accept", "service", pp.namespace+"/"+pp.name, "err", err)
			}
			return
		}
		go sp.forward(c, pp)
	}
}

// forward connects c to a backend of the Service and copies both ways.
func (sp *serviceProxy) forward(c net.Conn, pp *proxyPort) {
	defer c.Close()
	sp.mu.Lock()
	port := pp.port
	sp.mu.Unlock()
	backends := sp.backends(pp.namespace, pp.name, port)
	if len(backends) == 0 {
		return // as kube-proxy: no ready endpoint, the connection is refused
	}
	start := sp.turn.Add(1)
	var up net.Conn
	for i := range uint64(len(backends)) {
		var err error
		if up, err = net.DialTimeout("tcp", backends[(start+i)%uint64(len(backends))], 5*time.Second); err == nil {
			break
		}
	}
	if up == nil {
		return
	}
	defer up.Close()
	done := make(chan struct{})
	go func() {
		_, _ = io.Copy(up, c)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
		close(done)
	}()
	_, _ = io.Copy(c, up)
	if tc, ok := c.(*net.TCPConn); ok {
		_ = tc.CloseWrite()
	}
	<-done
}

// backends are the addresses (pod IP and target port) of the ready,
// running pods the Service selects, sorted.
func (sp *serviceProxy) backends(namespace, name string, port corev1.ServicePort) []string {
	svc, err := sp.services.Services(namespace).Get(name)
	if err != nil || len(svc.Spec.Selector) == 0 {
		return nil
	}
	pods, err := sp.pods.Pods(namespace).List(labels.SelectorFromSet(svc.Spec.Selector))
	if err != nil {
		return nil
	}
	var out []string
	for _, p := range pods {
		if p.Status.Phase != corev1.PodRunning || p.Status.PodIP == "" || p.DeletionTimestamp != nil || !podReady(p) {
			continue
		}
		if target := targetPort(p, port); target > 0 {
			out = append(out, net.JoinHostPort(p.Status.PodIP, strconv.Itoa(target)))
		}
	}
	sort.Strings(out)
	return out
}

func podReady(p *corev1.Pod) bool {
	for _, c := range p.Status.Conditions {
		if c.Type == corev1.PodReady {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// targetPort is the port of pod that a Service port's targetPort names: a
// number, a container port's name, or (unset) the Service port itself; 0
// when the pod has no port of that name.
func targetPort(pod *corev1.Pod, port corev1.ServicePort) int {
	tp := port.TargetPort
	if tp.StrVal == "" {
		if tp.IntVal > 0 {
			return int(tp.IntVal)
		}
		return int(port.Port)
	}
	for _, c := range pod.Spec.Containers {
		for _, cp := range c.Ports {
			if cp.Name == tp.StrVal && (cp.Protocol == "" || cp.Protocol == corev1.ProtocolTCP) {
				return int(cp.ContainerPort)
			}
		}
	}
	return 0
}
