package nodeagent

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
)

// KubeletVersion is the version the node reports.
const KubeletVersion = "v1.34.2-sparkplane"

// Run registers the node and runs the pods bound to it until ctx ends;
// then it kills every pod process, waits for them and returns. It returns
// early with an error when the node cannot be started or its controllers
// fail. cfg.Ready is closed once the node is Ready.
func Run(ctx context.Context, cfg Config) error {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return err
	}
	rc, err := cfg.restConfig()
	if err != nil {
		return err
	}
	client, err := kubernetes.NewForConfig(rc)
	if err != nil {
		return fmt.Errorf("nodeagent: client: %w", err)
	}
	// Pods' secrets, tokens and logs are for root only, as kubelet's
	// /var/lib/kubelet/pods: a driver's token can create pods, which run
	// as root.
	for _, d := range []string{"pods", "logs"} {
		path := filepath.Join(cfg.StateDir, d)
		if err := os.MkdirAll(path, 0o700); err != nil {
			return fmt.Errorf("nodeagent: state dir: %w", err)
		}
		if err := os.Chmod(path, 0o700); err != nil {
			return fmt.Errorf("nodeagent: state dir: %w", err)
		}
	}
	tlsConfig, err := kubeletTLS(cfg.KubeletCertFile, cfg.KubeletKeyFile, cfg.KubeletClientCAFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.KubeletAddress)
	if err != nil {
		return fmt.Errorf("nodeagent: kubelet API: %w", err)
	}
	defer ln.Close()
	port := ln.Addr().(*net.TCPAddr).Port

	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p := &provider{
		cfg: cfg, client: client, log: cfg.Logger, node: nodeObject(cfg, port), ipam: newIPAM(cfg.PodCIDR, cfg.APIServerIP),
		ctx: ctx, runs: map[string]*podRun{}, created: map[string]bool{}, hostsChanged: make(chan struct{}, 1),
	}
	sched := newScheduler(p)
	factory := informers.NewSharedInformerFactory(client, 10*time.Minute)
	podInformer, svcInformer := factory.Core().V1().Pods(), factory.Core().V1().Services()
	p.pods, p.services = podInformer.Lister(), svcInformer.Lister()
	proxy := newServiceProxy(p.pods, p.services, cfg.Logger) // serviceproxy.go
	onChange := cache.ResourceEventHandlerFuncs{
		AddFunc:    func(any) { sched.poke(); p.triggerHosts(); proxy.trigger() },
		UpdateFunc: func(any, any) { sched.poke(); p.triggerHosts(); proxy.trigger() },
		DeleteFunc: func(any) { sched.poke(); p.triggerHosts(); proxy.trigger() },
	}
	if _, err := podInformer.Informer().AddEventHandler(onChange); err != nil {
		return fmt.Errorf("nodeagent: pod informer: %w", err)
	}
	if _, err := svcInformer.Informer().AddEventHandler(onChange); err != nil {
		return fmt.Errorf("nodeagent: service informer: %w", err)
	}
	n, err := newVKNode(client, p, factory) // registers informers on factory: before Start
	if err != nil {
		return err
	}
	factory.Start(ctx.Done())
	defer factory.Shutdown()
	for typ, ok := range factory.WaitForCacheSync(ctx.Done()) {
		if !ok {
			return fmt.Errorf("nodeagent: %v informer did not sync: %w", typ, context.Cause(ctx))
		}
	}

	srv := &http.Server{Handler: onlyClient(cfg.KubeletClientName, cfg.Logger, n.handler(p)), ReadHeaderTimeout: 30 * time.Second,
		TLSConfig: tlsConfig, ErrorLog: slog.NewLogLogger(cfg.Logger.Handler(), slog.LevelWarn)}
	go func() {
		if err := srv.Serve(tls.NewListener(ln, srv.TLSConfig)); err != nil && !errors.Is(err, http.ErrServerClosed) {
			cfg.Logger.Warn("kubelet API stopped", "err", err)
		}
	}()
	defer srv.Close()

	go n.run(withVKLogger(ctx, cfg.Logger)) //nolint:errcheck // its error is n.Err()
	defer func() {
		cancel()
		<-n.Done()
		p.shutdown()
	}()
	select {
	case <-n.Ready():
	case <-n.Done():
		if err := n.Err(); err != nil {
			return fmt.Errorf("nodeagent: node %s: %w", cfg.NodeName, err)
		}
		return nil
	case <-ctx.Done():
		return nil
	}
	if err := waitNodeReady(ctx, client, cfg.NodeName); err != nil {
		return err
	}
	go sched.run(ctx)
	go p.syncHosts(ctx)
	go proxy.run(ctx)
	cfg.Logger.Info("node ready", "node", cfg.NodeName, "kubeletPort", port, "podCIDR", cfg.PodCIDR,
		"cpu", cfg.CPU.String(), "memory", cfg.Memory.String())
	if cfg.Ready != nil {
		close(cfg.Ready)
	}
	select {
	case <-ctx.Done():
		return nil
	case <-n.Done():
		if err := n.Err(); err != nil && ctx.Err() == nil {
			return fmt.Errorf("nodeagent: node %s stopped: %w", cfg.NodeName, err)
		}
		return nil
	}
}

// nodeObject is the Node the agent registers.
func nodeObject(cfg Config, kubeletPort int) *corev1.Node {
	lbls := map[string]string{}
	for k, v := range cfg.Labels {
		lbls[k] = v
	}
	lbls[corev1.LabelHostname] = cfg.NodeName
	lbls[corev1.LabelOSStable] = runtime.GOOS
	lbls[corev1.LabelArchStable] = runtime.GOARCH
	alloc := cfg.allocatable()
	cond := func(t corev1.NodeConditionType, reason, msg string) corev1.NodeCondition {
		now := metav1.Now()
		return corev1.NodeCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg,
			LastHeartbeatTime: now, LastTransitionTime: now}
	}
	return &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Name: cfg.NodeName, Labels: lbls},
		Spec:       corev1.NodeSpec{PodCIDR: cfg.PodCIDR.String(), PodCIDRs: []string{cfg.PodCIDR.String()}},
		Status: corev1.NodeStatus{
			Phase:       corev1.NodePending,
			Capacity:    alloc,
			Allocatable: alloc.DeepCopy(),
			Addresses: []corev1.NodeAddress{
				// No Hostname address: the apiserver would try the node name
				// first to reach the kubelet API, and it does not resolve.
				{Type: corev1.NodeInternalIP, Address: hostIP.String()},
			},
			DaemonEndpoints: corev1.NodeDaemonEndpoints{KubeletEndpoint: corev1.DaemonEndpoint{Port: int32(kubeletPort)}},
			NodeInfo: corev1.NodeSystemInfo{
				OperatingSystem: runtime.GOOS, Architecture: runtime.GOARCH,
				KubeletVersion: KubeletVersion, ContainerRuntimeVersion: "sparkplane://process",
			},
			Conditions: []corev1.NodeCondition{
				cond(corev1.NodeReady, "KubeletStarting", "node agent starting"),
				cond(corev1.NodeMemoryPressure, "KubeletHasSufficientMemory", "no memory pressure"),
				cond(corev1.NodeDiskPressure, "KubeletHasNoDiskPressure", "no disk pressure"),
				cond(corev1.NodePIDPressure, "KubeletHasSufficientPID", "enough PIDs"),
				cond(corev1.NodeNetworkUnavailable, "RouteCreated", "pod IPs are host addresses"),
			},
		},
	}
}

// waitNodeReady waits until the apiserver shows the node Ready (the node
// controller writes the status asynchronously).
func waitNodeReady(ctx context.Context, client kubernetes.Interface, name string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	for {
		n, err := client.CoreV1().Nodes().Get(ctx, name, metav1.GetOptions{})
		if err == nil {
			for _, c := range n.Status.Conditions {
				if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nodeagent: node %s not Ready: %w (last error: %v)", name, ctx.Err(), err)
		case <-time.After(50 * time.Millisecond):
		}
	}
}
