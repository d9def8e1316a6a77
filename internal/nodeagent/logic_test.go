package nodeagent

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/kubernetes/fake"
)

func TestExpand(t *testing.T) {
	vars := map[string]string{"A": "a", "EMPTY": "", "IP": "10.0.0.1"}
	lookup := func(k string) (string, bool) { v, ok := vars[k]; return v, ok }
	for _, tc := range []struct{ in, want string }{
		{"plain", "plain"},
		{"$(A)", "a"},
		{"x$(A)y$(A)", "xaya"},
		{"$(IP):7077", "10.0.0.1:7077"},
		{"$(UNDEFINED)", "$(UNDEFINED)"},
		{"$(EMPTY)-", "-"},
		{"$$(A)", "$(A)"},
		{"$$$(A)", "$a"},
		{"$$", "$"},
		{"$A", "$A"},
		{"a$", "a$"},
		{"$(A", "$(A"},
		{"$()", "$()"},
		{"$(A)$(", "a$("},
	} {
		if got := expand(tc.in, lookup); got != tc.want {
			t.Errorf("expand(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestFitError(t *testing.T) {
	node := &corev1.Node{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"disk": "ssd"}},
		Status: corev1.NodeStatus{Allocatable: corev1.ResourceList{
			corev1.ResourceCPU: resource.MustParse("2"), corev1.ResourceMemory: resource.MustParse("4Gi"), corev1.ResourcePods: resource.MustParse("3")}},
	}
	pod := func(cpu, mem string, sel map[string]string, initCPU string) *corev1.Pod {
		p := &corev1.Pod{Spec: corev1.PodSpec{NodeSelector: sel, Containers: []corev1.Container{{Name: "c"}}}}
		req := corev1.ResourceList{}
		if cpu != "" {
			req[corev1.ResourceCPU] = resource.MustParse(cpu)
		}
		if mem != "" {
			req[corev1.ResourceMemory] = resource.MustParse(mem)
		}
		p.Spec.Containers[0].Resources.Requests = req
		if initCPU != "" {
			p.Spec.InitContainers = []corev1.Container{{Name: "i", Resources: corev1.ResourceRequirements{
				Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse(initCPU)}}}}
		}
		return p
	}
	used := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m"), corev1.ResourceMemory: resource.MustParse("1Gi")}
	for _, tc := range []struct {
		name  string
		pod   *corev1.Pod
		used  corev1.ResourceList
		count int
		want  string
	}{
		{"fits empty node", pod("2", "4Gi", nil, ""), nil, 0, ""},
		{"no requests", pod("", "", nil, ""), used, 1, ""},
		{"fits beside others", pod("500m", "3Gi", nil, ""), used, 1, ""},
		{"cpu", pod("600m", "", nil, ""), used, 1, "0/1 nodes are available: 1 Insufficient cpu."},
		{"memory", pod("", "3073Mi", nil, ""), used, 1, "0/1 nodes are available: 1 Insufficient memory."},
		{"both", pod("3", "5Gi", nil, ""), nil, 0, "0/1 nodes are available: 1 Insufficient cpu, 1 Insufficient memory."},
		{"init container counts when larger", pod("100m", "", nil, "3"), nil, 0, "0/1 nodes are available: 1 Insufficient cpu."},
		{"selector matches", pod("", "", map[string]string{"disk": "ssd"}, ""), nil, 0, ""},
		{"selector", pod("", "", map[string]string{"disk": "hdd"}, ""), nil, 0, "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector."},
		{"pods", pod("", "", nil, ""), nil, 3, "0/1 nodes are available: 1 Too many pods."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := fitError(tc.pod, node, tc.used, tc.count)
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.want {
				t.Fatalf("fitError = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestHostsFile(t *testing.T) {
	running := func(ns, name, ip string, lbls map[string]string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: lbls},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: ip}}
	}
	pending := running("spark", "exec-2", "10.244.0.9", map[string]string{"role": "executor"})
	pending.Status.Phase = corev1.PodPending
	pods := []*corev1.Pod{
		running("spark", "driver", "10.244.0.3", map[string]string{"role": "driver"}),
		running("spark", "exec-1", "10.244.0.10", map[string]string{"role": "executor"}),
		running("spark", "exec-0", "10.244.0.4", map[string]string{"role": "executor"}),
		running("other", "driver", "10.244.0.5", map[string]string{"role": "driver"}),
		pending,
	}
	svc := func(ns, name string, sel map[string]string) *corev1.Service {
		return &corev1.Service{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.ServiceSpec{Selector: sel}}
	}
	services := []*corev1.Service{
		svc("spark", "execs", map[string]string{"role": "executor"}),
		svc("spark", "driver-svc", map[string]string{"role": "driver"}),
		svc("spark", "external", nil),
		svc("spark", "nobody", map[string]string{"role": "none"}),
	}
	for _, tc := range []struct {
		name, hostname, namespace string
		want                      string
	}{
		{"same namespace gets short names", "driver", "spark", `# Kubernetes-managed hosts file (sparkplane node agent).
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
10.244.0.3	driver
10.0.0.1	kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local
10.244.0.3	driver-svc.spark.svc driver-svc.spark.svc.cluster.local driver-svc.spark driver-svc
10.244.0.4	execs.spark.svc execs.spark.svc.cluster.local execs.spark execs
10.244.0.10	execs.spark.svc execs.spark.svc.cluster.local execs.spark execs
`},
		{"other namespace", "driver", "other", `# Kubernetes-managed hosts file (sparkplane node agent).
127.0.0.1	localhost
::1	localhost ip6-localhost ip6-loopback
10.244.0.3	driver
10.0.0.1	kubernetes kubernetes.default kubernetes.default.svc kubernetes.default.svc.cluster.local
10.244.0.3	driver-svc.spark.svc driver-svc.spark.svc.cluster.local driver-svc.spark
10.244.0.4	execs.spark.svc execs.spark.svc.cluster.local execs.spark
10.244.0.10	execs.spark.svc execs.spark.svc.cluster.local execs.spark
`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := string(hostsFile(tc.hostname, tc.namespace, netip.MustParseAddr("10.244.0.3"), netip.MustParseAddr("10.0.0.1"), serviceHosts(services, pods)))
			if got != tc.want {
				t.Fatalf("hosts file:\n%s\nwant:\n%s", got, tc.want)
			}
		})
	}
}

func TestContainerEnv(t *testing.T) {
	client := fake.NewClientset(
		&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cm"}, Data: map[string]string{"A": "from-cm", "B": "b"}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "s"}, Data: map[string][]byte{"pw": []byte("x")}},
	)
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "u-1", Labels: map[string]string{"b": "2", "a": "1"}},
		Spec:       corev1.PodSpec{NodeName: "n", ServiceAccountName: "sa"},
	}
	ec := envContext{client: client, pod: pod, podIP: netip.MustParseAddr("10.1.0.2"), hostIP: netip.MustParseAddr("127.0.0.1"),
		allocatable: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("4"), corev1.ResourceMemory: resource.MustParse("8Gi")},
		apiServer:   netip.MustParseAddrPort("10.0.0.1:443")}
	field := func(p string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: p}}
	}
	res := func(r, div string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{ResourceFieldRef: &corev1.ResourceFieldSelector{Resource: r, Divisor: resource.MustParse(div)}}
	}
	optional := true
	for _, tc := range []struct {
		name string
		c    corev1.Container
		want map[string]string // a missing value "-" means not set
		err  string
	}{
		{"fields", corev1.Container{Env: []corev1.EnvVar{
			{Name: "IP", ValueFrom: field("status.podIP")}, {Name: "HOST", ValueFrom: field("status.hostIP")},
			{Name: "UID", ValueFrom: field("metadata.uid")}, {Name: "NODE", ValueFrom: field("spec.nodeName")},
			{Name: "SA", ValueFrom: field("spec.serviceAccountName")}, {Name: "LABELS", ValueFrom: field("metadata.labels")},
		}}, map[string]string{"IP": "10.1.0.2", "HOST": "127.0.0.1", "UID": "u-1", "NODE": "n", "SA": "sa", "LABELS": "a=\"1\"\nb=\"2\"",
			"SPARK_LOCAL_IP": "10.1.0.2", "KUBERNETES_SERVICE_HOST": "10.0.0.1", "KUBERNETES_SERVICE_PORT": "443", "HOSTNAME": "p"}, ""},
		{"expansion in order", corev1.Container{Env: []corev1.EnvVar{
			{Name: "LATER", Value: "$(FIRST)"}, {Name: "FIRST", Value: "1"}, {Name: "SECOND", Value: "$(FIRST)-$(KUBERNETES_SERVICE_HOST)"},
		}}, map[string]string{"LATER": "$(FIRST)", "SECOND": "1-10.0.0.1"}, ""},
		{"envFrom then env overrides", corev1.Container{
			EnvFrom: []corev1.EnvFromSource{{ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}},
			Env:     []corev1.EnvVar{{Name: "A", Value: "own-$(B)"}, {Name: "SPARK_LOCAL_IP", Value: "0.0.0.0"}},
		}, map[string]string{"A": "own-b", "B": "b", "SPARK_LOCAL_IP": "0.0.0.0"}, ""},
		{"keys", corev1.Container{Env: []corev1.EnvVar{
			{Name: "PW", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "s"}, Key: "pw"}}},
			{Name: "OPT", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}, Key: "none", Optional: &optional}}},
			{Name: "OPTCM", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "gone"}, Key: "k", Optional: &optional}}},
		}}, map[string]string{"PW": "x", "OPT": "-", "OPTCM": "-"}, ""},
		{"missing key", corev1.Container{Env: []corev1.EnvVar{
			{Name: "X", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}, Key: "none"}}},
		}}, nil, "env X: configmap cm has no key none"},
		{"resources", corev1.Container{
			Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1500m"), corev1.ResourceMemory: resource.MustParse("1Gi")}},
			Env: []corev1.EnvVar{{Name: "REQ_CPU", ValueFrom: res("requests.cpu", "1")}, {Name: "REQ_MEM", ValueFrom: res("requests.memory", "1Mi")},
				{Name: "LIM_CPU", ValueFrom: res("limits.cpu", "1m")}},
		}, map[string]string{"REQ_CPU": "2", "REQ_MEM": "1024", "LIM_CPU": "4000"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			vars, err := ec.containerEnv(context.Background(), &tc.c)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("err = %v, want %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			for _, v := range vars {
				got[v.Name] = v.Value
			}
			for k, want := range tc.want {
				v, ok := got[k]
				if want == "-" && ok || want != "-" && v != want {
					t.Errorf("%s = %q (set %v), want %q", k, v, ok, want)
				}
			}
		})
	}
}

func TestIPAMReusesFreedAddresses(t *testing.T) {
	p := newIPAM(netip.MustParsePrefix("10.9.0.0/30"))
	a, _ := p.allocate()
	b, _ := p.allocate()
	if _, err := p.allocate(); err == nil {
		t.Fatal("a /30 has two pod addresses")
	}
	if a.String() != "10.9.0.1" || b.String() != "10.9.0.2" {
		t.Fatalf("got %v %v", a, b)
	}
	p.release(a)
	if c, _ := p.allocate(); c != a {
		t.Fatalf("reuse: got %v, want %v", c, a)
	}
}

func TestTokenRefreshDue(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name            string
		issued, expires time.Time
		want            time.Time
	}{
		{"80% of an hour", now, now.Add(time.Hour), now.Add(48 * time.Minute)},
		{"at most a day", now, now.Add(365 * 24 * time.Hour), now.Add(24 * time.Hour)},
		{"unknown issue time", time.Time{}, now.Add(10 * time.Minute), now.Add(8 * time.Minute)},
	} {
		if got := refreshDueAt(tc.issued, tc.expires, now); !got.Equal(tc.want) {
			t.Errorf("%s: due %v, want %v", tc.name, got, tc.want)
		}
	}
}

func TestIPAMSkipsReservedAddresses(t *testing.T) {
	p := newIPAM(netip.MustParsePrefix("10.9.0.0/29"), netip.MustParseAddr("10.9.0.1"))
	if a, _ := p.allocate(); a.String() != "10.9.0.2" {
		t.Fatalf("first pod address %v, want 10.9.0.2 (10.9.0.1 is the apiserver's)", a)
	}
}

func TestVKLoggerDemotesRetriedConflicts(t *testing.T) {
	conflict := apierrors.NewConflict(schema.GroupResource{Resource: "pods"}, "p", errors.New("the object has been modified"))
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"conflict", fmt.Errorf("error while updating pod status in kubernetes: %w", conflict), "level=DEBUG"},
		{"gave up", fmt.Errorf("forgetting \"ns/p\" due to: maximum retries (20) reached: %w", conflict), "level=ERROR"},
		{"other", errors.New("connection refused"), "level=ERROR"},
	} {
		var buf bytes.Buffer
		l := vkLogger{l: slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))}
		l.WithField("key", "ns/p").WithError(tc.err).Error("Error processing pod status update")
		if !strings.HasPrefix(strings.SplitN(buf.String(), " ", 2)[1], tc.want) {
			t.Errorf("%s: logged %q, want %s", tc.name, buf.String(), tc.want)
		}
	}
}

// A folder another mount namespace mounts on (say, another node agent's
// pod) is seen as in use, so it is not removed from under that pod.
func TestMountedElsewhereSeesOtherNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("mount namespaces need root")
	}
	dir := t.TempDir()
	src, target := filepath.Join(dir, "src"), filepath.Join(dir, "created", "mnt")
	for _, d := range []string{src, target} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	cmd := exec.Command("unshare", "-m", "--propagation", "private", "sh", "-c", "mount --bind "+src+" "+target+" && echo ok && exec sleep 60")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	line := make([]byte, 3)
	if _, err := io.ReadFull(out, line); err != nil || string(line) != "ok\n" {
		t.Fatalf("mount in a new namespace: %q %v", line, err)
	}
	if !mountedElsewhere(allMountPoints(), filepath.Join(dir, "created")) {
		t.Fatal("a mount in another namespace was not seen")
	}
	cmd.Process.Kill()
	cmd.Wait()
	if mountedElsewhere(allMountPoints(), filepath.Join(dir, "created")) {
		t.Fatal("still seen after its namespace is gone")
	}
}
