package devcluster

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// The Kubeflow Spark Operator's resources.
var (
	crdResource         = schema.GroupVersionResource{Group: "apiextensions.k8s.io", Version: "v1", Resource: "customresourcedefinitions"}
	sparkAppResource    = schema.GroupVersionResource{Group: "sparkoperator.k8s.io", Version: "v1beta2", Resource: "sparkapplications"}
	operatorAppLabel    = "sparkoperator.k8s.io/app-name"
	operatorServiceAcct = "spark"
)

// sparkOperatorDir is the folder holding the operator binary and its CRDs:
// $SPARKPLANE_SPARK_OPERATOR_DIR, else what scripts/spark-operator.sh
// builds (once, into the cache) and prints.
func sparkOperatorDir() (string, error) {
	if dir := os.Getenv("SPARKPLANE_SPARK_OPERATOR_DIR"); dir != "" {
		return dir, nil
	}
	cmd := exec.Command("../../scripts/spark-operator.sh")
	cmd.Stderr = os.Stderr // its progress while a cold build runs
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("scripts/spark-operator.sh: %w", err)
	}
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return lines[len(lines)-1], nil
}

// operatorProc is a running `operator controller start` process.
type operatorProc struct {
	cmd     *exec.Cmd
	logPath string
	exited  chan struct{}
}

// startSparkOperator installs the operator's CRDs into the embedded
// cluster and starts its controller on the host, watching namespace ns:
// no webhook (the controller command has none), no leader election, the
// admin kubeconfig, and what its spark-submit needs (SPARK_HOME and
// JAVA_HOME of the installed Spark, KUBERNETES_SERVICE_HOST/PORT of the
// embedded API server, KUBECONFIG for the submission client's
// credentials).
func startSparkOperator(ctx context.Context, dir, ns, logPath string) (*operatorProc, error) {
	st, _, err := layout.ReadState()
	if err != nil {
		return nil, err
	}
	if err := installCRDs(ctx, st.Kubeconfig, filepath.Join(dir, "crds")); err != nil {
		return nil, err
	}
	api, err := url.Parse(st.APIServer)
	if err != nil {
		return nil, fmt.Errorf("the cluster's API server %q: %w", st.APIServer, err)
	}
	port := api.Port()
	if port == "" {
		port = "443"
	}
	dist, err := sparkdist.Find("", config.ReadEnv())
	if err != nil {
		return nil, err
	}
	probe, err := freeAddr()
	if err != nil {
		return nil, err
	}
	logf, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o600)
	if err != nil {
		return nil, err
	}
	defer logf.Close()
	p := &operatorProc{logPath: logPath, exited: make(chan struct{})}
	p.cmd = exec.Command(filepath.Join(dir, "operator"), "controller", "start",
		"--namespaces="+ns, "--leader-election=false", "--kubeconfig="+st.Kubeconfig,
		"--health-probe-bind-address="+probe, "--metrics-bind-address=0")
	p.cmd.Env = append(dist.Env(os.Environ()), "KUBECONFIG="+st.Kubeconfig,
		"KUBERNETES_SERVICE_HOST="+api.Hostname(), "KUBERNETES_SERVICE_PORT="+port)
	p.cmd.Stdout, p.cmd.Stderr = logf, logf
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
	if err := p.cmd.Start(); err != nil {
		return nil, err
	}
	go func() { _ = p.cmd.Wait(); close(p.exited) }()
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(200 * time.Millisecond) {
		select {
		case <-p.exited:
			return nil, fmt.Errorf("the Spark Operator exited while starting:\n%s", tail(logPath))
		default:
		}
		if resp, err := http.Get("http://" + probe + "/readyz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK && operatorLogged(logPath, "Starting workers") {
				return p, nil
			}
		}
	}
	p.stop()
	return nil, fmt.Errorf("the Spark Operator is not ready after a minute:\n%s", tail(logPath))
}

// operatorLogged says whether the operator's log holds text.
func operatorLogged(path, text string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), text) {
			return true
		}
	}
	return false
}

func (p *operatorProc) pid() int { return p.cmd.Process.Pid }

// stop ends the operator with SIGTERM, then SIGKILL after 10 s.
func (p *operatorProc) stop() {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(10 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.exited
	}
}

func freeAddr() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	return l.Addr().String(), nil
}

// dynamicClient is a dynamic client on the cluster's admin kubeconfig.
func dynamicClient(kubeconfig string) (dynamic.Interface, error) {
	rc, err := clientcmd.BuildConfigFromFlags("", kubeconfig)
	if err != nil {
		return nil, err
	}
	rc.QPS, rc.Burst = 500, 1000
	return dynamic.NewForConfig(rc)
}

// installCRDs creates the CRDs of dir's YAML files (created, not applied:
// the SparkApplication CRD is too large for a last-applied annotation) and
// waits until each is Established.
func installCRDs(ctx context.Context, kubeconfig, dir string) error {
	dyn, err := dynamicClient(kubeconfig)
	if err != nil {
		return err
	}
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil || len(files) != 3 {
		return fmt.Errorf("want the Spark Operator's 3 CRDs in %s, found %d (%v)", dir, len(files), err)
	}
	var names []string
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		var obj map[string]any
		if err := yaml.Unmarshal(data, &obj); err != nil {
			return fmt.Errorf("%s: %w", f, err)
		}
		crd := &unstructured.Unstructured{Object: obj}
		if crd.GetKind() != "CustomResourceDefinition" {
			return fmt.Errorf("%s: a %s, not a CustomResourceDefinition", f, crd.GetKind())
		}
		if _, err := dyn.Resource(crdResource).Create(ctx, crd, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create CRD %s: %w", crd.GetName(), err)
		}
		names = append(names, crd.GetName())
	}
	for _, name := range names {
		if err := waitEstablished(ctx, dyn, name); err != nil {
			return err
		}
	}
	return nil
}

func waitEstablished(ctx context.Context, dyn dynamic.Interface, name string) error {
	for deadline := time.Now().Add(time.Minute); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		crd, err := dyn.Resource(crdResource).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			continue
		}
		conds, _, _ := unstructured.NestedSlice(crd.Object, "status", "conditions")
		for _, c := range conds {
			if m, ok := c.(map[string]any); ok && m["type"] == "Established" && m["status"] == "True" {
				return nil
			}
		}
	}
	return fmt.Errorf("CRD %s is not Established after a minute", name)
}

// operatorPeer runs pi.py as SparkApplications through the Spark Operator.
type operatorPeer struct {
	proc   *operatorProc
	dyn    dynamic.Interface
	ns     string
	image  string
	sparkV string
}

func (p *operatorPeer) name() string      { return peerOperator }
func (p *operatorPeer) namespace() string { return p.ns }
func (p *operatorPeer) pid() int          { return p.proc.pid() }

// prepare makes the service account the drivers run as, allowed to manage
// their executors (the chart's spark service account and role do the same).
func (p *operatorPeer) prepare(b *testing.B) {
	createNamespace(b, p.ns)
	grantEdit(b, p.ns, operatorServiceAcct)
}

func (p *operatorPeer) submit(ctx context.Context, name, cpu string) (string, error) {
	app := &unstructured.Unstructured{Object: map[string]any{
		"apiVersion": "sparkoperator.k8s.io/v1beta2",
		"kind":       "SparkApplication",
		"metadata":   map[string]any{"name": name, "namespace": p.ns},
		"spec": map[string]any{
			"type": "Python", "pythonVersion": "3", "mode": "cluster",
			"image": p.image, "imagePullPolicy": "IfNotPresent", "sparkVersion": p.sparkV,
			"mainApplicationFile": peerPiFile,
			"restartPolicy":       map[string]any{"type": "Never"},
			"driver": map[string]any{"cores": int64(1), "coreRequest": cpu, "memory": "1g",
				"serviceAccount": operatorServiceAcct},
			"executor": map[string]any{"instances": int64(1), "cores": int64(1), "coreRequest": cpu, "memory": "1g"},
		},
	}}
	if _, err := p.dyn.Resource(sparkAppResource).Namespace(p.ns).Create(ctx, app, metav1.CreateOptions{}); err != nil {
		return "", err
	}
	return name, nil
}

func (p *operatorPeer) driverKey(pod *corev1.Pod) string { return pod.Labels[operatorAppLabel] }

// isSubmitterPod: the operator runs spark-submit in its own process.
func (p *operatorPeer) isSubmitterPod(*corev1.Pod) bool { return false }

// states reads .status.applicationState.state of the namespace's apps.
func (p *operatorPeer) states(ctx context.Context, keys map[string]bool) (map[string]peerOutcome, error) {
	list, err := p.dyn.Resource(sparkAppResource).Namespace(p.ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	out := map[string]peerOutcome{}
	for _, app := range list.Items {
		if !keys[app.GetName()] {
			continue
		}
		state, _, _ := unstructured.NestedString(app.Object, "status", "applicationState", "state")
		switch state {
		case "COMPLETED":
			out[app.GetName()] = peerOutcome{done: true, ok: true}
		case "FAILED":
			msg, _, _ := unstructured.NestedString(app.Object, "status", "applicationState", "errorMessage")
			out[app.GetName()] = peerOutcome{done: true, detail: "FAILED: " + msg}
		default:
			out[app.GetName()] = peerOutcome{detail: state}
		}
	}
	return out, nil
}

// abandon deletes the scenario's applications (their pods go with them).
func (p *operatorPeer) abandon(ctx context.Context, _ []string) error {
	err := p.dyn.Resource(sparkAppResource).Namespace(p.ns).DeleteCollection(ctx, metav1.DeleteOptions{}, metav1.ListOptions{})
	if err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return nil
}

func (p *operatorPeer) close() { p.proc.stop() }
