package nodeagent

import (
	"context"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sparkplane/sparkplane/internal/nodeagent/sandbox"
	"github.com/sparkplane/sparkplane/internal/podimage"
	"github.com/sparkplane/sparkplane/internal/testenv/kubeenv"
)

// The integration tests share one real control plane and one node agent.
var (
	env       *kubeenv.Env
	kube      kubernetes.Interface
	agentCfg  Config
	stopAgent func() error
	notRoot   = os.Geteuid() != 0
)

func TestMain(m *testing.M) {
	sandbox.Init()
	if notRoot {
		os.Exit(m.Run()) // integration tests skip themselves
	}
	code, err := runWithCluster(m)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		code = 1
	}
	os.Exit(code)
}

func runWithCluster(m *testing.M) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	var err error
	env, err = kubeenv.Start(ctx, kubeenv.Options{ControllerManager: true})
	cancel()
	if err != nil {
		return 1, fmt.Errorf("start control plane: %w", err)
	}
	defer env.Stop()
	rc, err := clientcmd.BuildConfigFromFlags("", env.KubeconfigPath)
	if err != nil {
		return 1, err
	}
	if kube, err = kubernetes.NewForConfig(rc); err != nil {
		return 1, err
	}
	u, err := url.Parse(env.Host)
	if err != nil {
		return 1, err
	}
	port, _ := strconv.Atoi(u.Port())
	images, err := podimage.NewMapper(append(versionedRules(), podimage.HostRules()...)...)
	if err != nil {
		return 1, err
	}
	stateDir, err := os.MkdirTemp("", "nodeagent-test-")
	if err != nil {
		return 1, err
	}
	defer os.RemoveAll(stateDir)
	agentCfg = Config{
		Kubeconfig: env.KubeconfigPath, PodCIDR: netip.MustParsePrefix("127.0.100.0/24"),
		APIServerIP: netip.MustParseAddr("127.0.0.1"), APIServerPort: port,
		StateDir: stateDir, Images: images, KubeletAddress: "127.0.0.1:0",
		KubeletCertFile: env.KubeletCertFile, KubeletKeyFile: env.KubeletKeyFile, KubeletClientCAFile: env.CAFile,
		Labels: map[string]string{"sparkplane.io/test": "yes"},
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})),
	}
	if stopAgent, err = startAgent(agentCfg); err != nil {
		return 1, err
	}
	code := m.Run()
	if err := stopAgent(); err != nil {
		return 1, fmt.Errorf("node agent: %w", err)
	}
	return code, nil
}

// versionedRules are images resolved by the version their tag names, as
// the embedded cluster's Spark images are: example.com/slow is pending for
// 3 seconds (its Spark being installed) then maps to the host,
// example.com/old cannot run here.
func versionedRules() []podimage.Rule {
	host := podimage.HostRules()[0]
	var mu sync.Mutex
	ready := map[string]time.Time{}
	slow := func(version string) (podimage.Rule, error) {
		mu.Lock()
		defer mu.Unlock()
		if ready[version].IsZero() {
			ready[version] = time.Now().Add(3 * time.Second)
		}
		if time.Now().Before(ready[version]) {
			return podimage.Rule{}, fmt.Errorf("%w: installing version %s", podimage.ErrPending, version)
		}
		return host, nil
	}
	old := func(version string) (podimage.Rule, error) {
		return podimage.Rule{}, podimage.Unavailable(fmt.Errorf("version %s is too old to run here", version))
	}
	return []podimage.Rule{{Match: "example.com/slow", ByVersion: slow}, {Match: "example.com/old", ByVersion: old}}
}

// startAgent runs Run until the returned function is called, which returns
// Run's error.
func startAgent(cfg Config) (func() error, error) {
	ctx, cancel := context.WithCancel(context.Background())
	ready := make(chan struct{})
	cfg.Ready = ready
	done := make(chan error, 1)
	go func() { done <- Run(ctx, cfg) }()
	select {
	case <-ready:
	case err := <-done:
		cancel()
		return nil, fmt.Errorf("node agent: %w", err)
	case <-time.After(time.Minute):
		cancel()
		return nil, fmt.Errorf("node agent not ready after a minute")
	}
	return func() error { cancel(); return <-done }, nil
}

// requireCluster skips a test that needs the control plane when the tests
// do not run as root (mount namespaces need it).
func requireCluster(t *testing.T) {
	t.Helper()
	if notRoot {
		t.Skip("needs root: containers run in their own mount namespaces")
	}
}

// namespace creates a namespace for the test and waits for its default
// service account and root CA config map.
func namespace(t *testing.T) string {
	t.Helper()
	requireCluster(t)
	ctx := context.Background()
	name := strings.ToLower(strings.ReplaceAll(t.Name(), "/", "-"))
	if len(name) > 50 {
		name = name[:50]
	}
	_, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = kube.CoreV1().Namespaces().Delete(context.Background(), name, metav1.DeleteOptions{}) })
	eventually(t, time.Minute, func() (bool, string) {
		_, err1 := kube.CoreV1().ServiceAccounts(name).Get(ctx, "default", metav1.GetOptions{})
		_, err2 := kube.CoreV1().ConfigMaps(name).Get(ctx, "kube-root-ca.crt", metav1.GetOptions{})
		return err1 == nil && err2 == nil, fmt.Sprintf("default service account: %v; kube-root-ca.crt: %v", err1, err2)
	})
	return name
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t *testing.T, timeout time.Duration, cond func() (bool, string)) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		ok, msg := cond()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("after %v: %s", timeout, msg)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// shPod is a pod running `sh -c script` on the host image.
func shPod(name, script string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"sh", "-c", script}}},
		},
	}
}

func createPod(t *testing.T, ns string, pod *corev1.Pod) *corev1.Pod {
	t.Helper()
	out, err := kube.CoreV1().Pods(ns).Create(context.Background(), pod, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// waitPhase waits for the pod to reach phase and returns it.
func waitPhase(t *testing.T, ns, name string, phase corev1.PodPhase) *corev1.Pod {
	t.Helper()
	var pod *corev1.Pod
	eventually(t, time.Minute, func() (bool, string) {
		var err error
		pod, err = kube.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		return pod.Status.Phase == phase, fmt.Sprintf("pod %s is %s, want %s: %+v", name, pod.Status.Phase, phase, pod.Status)
	})
	return pod
}

// podLogs reads a container's log through the apiserver and the kubelet API.
func podLogs(t *testing.T, ns, name string) string {
	t.Helper()
	data, err := kube.CoreV1().Pods(ns).GetLogs(name, &corev1.PodLogOptions{}).DoRaw(context.Background())
	if err != nil {
		t.Fatalf("logs of %s: %v", name, err)
	}
	return string(data)
}

func podGone(ns, name string) (bool, string) {
	_, err := kube.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	return apierrors.IsNotFound(err), fmt.Sprintf("pod %s still there (%v)", name, err)
}
