package nodeagent

import (
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	corev1listers "k8s.io/client-go/listers/core/v1"
	"k8s.io/client-go/tools/cache"
)

// TestServiceProxyForwardsToReadyPods: a connection to a Service's cluster
// IP and port reaches a ready pod it selects at the named target port,
// never a pod that is not ready; the listener goes with the Service.
func TestServiceProxyForwardsToReadyPods(t *testing.T) {
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, "pod-a") }))
	defer backend.Close()
	_, backendPort, _ := net.SplitHostPort(backend.Listener.Addr().String())
	bp, _ := strconv.Atoi(backendPort)
	free, _ := net.Listen("tcp", "127.0.0.1:0")
	svcPort := free.Addr().(*net.TCPAddr).Port
	free.Close()

	pods := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	services := cache.NewIndexer(cache.MetaNamespaceKeyFunc, cache.Indexers{cache.NamespaceIndex: cache.MetaNamespaceIndexFunc})
	pod := func(name string, ready corev1.ConditionStatus, port int) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{"app": "api"}},
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Ports: []corev1.ContainerPort{{Name: "api", ContainerPort: int32(port)}}}}},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, PodIP: "127.0.0.1",
				Conditions: []corev1.PodCondition{{Type: corev1.PodReady, Status: ready}}}}
	}
	_ = pods.Add(pod("a", corev1.ConditionTrue, bp))
	_ = pods.Add(pod("b", corev1.ConditionFalse, 1)) // not ready: never chosen
	svc := &corev1.Service{ObjectMeta: metav1.ObjectMeta{Name: "api", Namespace: "ns"}, Spec: corev1.ServiceSpec{
		ClusterIP: "127.0.0.1", Selector: map[string]string{"app": "api"},
		Ports: []corev1.ServicePort{{Name: "http", Port: int32(svcPort), TargetPort: intstr.FromString("api")}}}}
	_ = services.Add(svc)

	sp := newServiceProxy(corev1listers.NewPodLister(pods), corev1listers.NewServiceLister(services), slog.New(slog.NewTextHandler(io.Discard, nil)))
	sp.sync()
	defer sp.closeAll()
	url := "http://" + net.JoinHostPort("127.0.0.1", strconv.Itoa(svcPort))
	c := http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	for range 4 {
		resp, err := c.Get(url)
		if err != nil {
			t.Fatalf("GET through the cluster IP: %v", err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if string(b) != "pod-a" {
			t.Fatalf("GET through the cluster IP = %q, want pod-a's answer", b)
		}
	}

	_ = services.Delete(svc)
	sp.sync()
	if _, err := c.Get(url); err == nil {
		t.Fatal("the cluster IP still answers after the Service is gone")
	}
}
