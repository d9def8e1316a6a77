package nodeagent

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestVolumesShowInsideThePodOnly(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "conf"},
		Data: map[string]string{"app.conf": "threads=4", "other": "x"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "creds"},
		Data: map[string][]byte{"key": []byte("k3y")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	base := t.TempDir()
	confDir, secDir, subFile := filepath.Join(base, "conf"), filepath.Join(base, "secret"), filepath.Join(base, "single.conf")
	sa := "/var/run/secrets/kubernetes.io/serviceaccount"
	pod := shPod("vols", strings.Join([]string{
		"cat " + confDir + "/app.conf; echo",
		"cat " + subFile + "; echo",
		"stat -c %a " + secDir + "/nested/k; cat " + secDir + "/nested/k; echo",
		"cat " + sa + "/namespace; echo",
		"head -c 10 " + sa + "/ca.crt; echo",
		"test -s " + sa + "/token && echo token-ok",
		"touch " + confDir + "/x 2>/dev/null || echo read-only",
		"wget -q -O- --header \"Authorization: Bearer $(cat " + sa + "/token)\" --no-check-certificate https://$KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT/api/v1/namespaces/" + ns + "/pods >/dev/null 2>&1; echo api=$?",
	}, "; "))
	pod.Spec.Volumes = []corev1.Volume{
		{Name: "conf", VolumeSource: corev1.VolumeSource{ConfigMap: &corev1.ConfigMapVolumeSource{LocalObjectReference: corev1.LocalObjectReference{Name: "conf"}}}},
		{Name: "creds", VolumeSource: corev1.VolumeSource{Secret: &corev1.SecretVolumeSource{SecretName: "creds", DefaultMode: ptrTo(int32(0o400)),
			Items: []corev1.KeyToPath{{Key: "key", Path: "nested/k"}}}}},
	}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{
		{Name: "conf", MountPath: confDir},
		{Name: "conf", MountPath: subFile, SubPath: "app.conf"},
		{Name: "creds", MountPath: secDir},
	}
	createPod(t, ns, pod)
	waitPhase(t, ns, "vols", corev1.PodSucceeded)
	logs := podLogs(t, ns, "vols")
	want := "threads=4\nthreads=4\n400\nk3y\n" + ns + "\n-----BEGIN\ntoken-ok\nread-only\n"
	if !strings.HasPrefix(logs, want) {
		t.Fatalf("logs = %q, want prefix %q", logs, want)
	}
	// The token lets the pod read through the API as its service account:
	// it is authenticated (a 403 is wget's exit 8 too, so only 0 or 8 mean
	// the request went through TLS and authentication; 4 would be network).
	if !strings.Contains(logs, "api=0") && !strings.Contains(logs, "api=8") {
		t.Fatalf("API call from the pod failed: %q", logs)
	}
	for _, p := range []string{filepath.Join(confDir, "app.conf"), filepath.Join(secDir, "nested"), filepath.Join(sa, "token")} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is visible on the host (err %v)", p, err)
		}
	}
}

func TestHeadlessServiceCreatedLaterResolves(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	driver := shPod("driver", "sleep 600")
	driver.Labels = map[string]string{"role": "driver"}
	createPod(t, ns, driver)
	ip := waitPhase(t, ns, "driver", corev1.PodRunning).Status.PodIP
	name := "driver-svc." + ns + ".svc"
	createPod(t, ns, shPod("executor", "for i in $(seq 1 100); do getent hosts "+name+" && exit 0; sleep 0.1; done; exit 1"))
	waitPhase(t, ns, "executor", corev1.PodRunning)
	svc := &corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Name: "driver-svc"},
		Spec: corev1.ServiceSpec{ClusterIP: corev1.ClusterIPNone, Selector: map[string]string{"role": "driver"},
			Ports: []corev1.ServicePort{{Name: "rpc", Port: 7078}}},
	}
	if _, err := kube.CoreV1().Services(ns).Create(ctx, svc, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, ns, "executor", corev1.PodSucceeded)
	if logs := podLogs(t, ns, "executor"); !strings.HasPrefix(logs, ip+" ") || !strings.Contains(logs, name) {
		t.Fatalf("getent hosts %s = %q, want the driver's IP %s", name, logs, ip)
	}
}

// pidOf reads the process id from a container ID.
func pidOf(t *testing.T, cs corev1.ContainerStatus) int {
	t.Helper()
	i := strings.LastIndexByte(cs.ContainerID, '/')
	pid, err := strconv.Atoi(cs.ContainerID[i+1:])
	if err != nil {
		t.Fatalf("container ID %q: %v", cs.ContainerID, err)
	}
	return pid
}

func processGone(pid int) (bool, string) {
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH), fmt.Sprintf("process %d still exists (%v)", pid, err)
}

func TestDeletingARunningPodKillsItPromptly(t *testing.T) {
	ns := namespace(t)
	createPod(t, ns, shPod("sleeper", "sleep 600"))
	pid := pidOf(t, waitPhase(t, ns, "sleeper", corev1.PodRunning).Status.ContainerStatuses[0])
	begin := time.Now()
	if err := kube.CoreV1().Pods(ns).Delete(context.Background(), "sleeper", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	// The grace period is 30 s; the pod must go as soon as sleep has died.
	eventually(t, 20*time.Second, func() (bool, string) { return podGone(ns, "sleeper") })
	t.Logf("pod gone %v after the delete", time.Since(begin).Round(time.Millisecond))
	eventually(t, 5*time.Second, func() (bool, string) { return processGone(pid) })
}

func TestPodTooBigStaysPendingUnschedulable(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	big := shPod("big", "true")
	big.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1000")}
	createPod(t, ns, big)
	picky := shPod("picky", "true")
	picky.Spec.NodeSelector = map[string]string{"disk": "ssd"}
	createPod(t, ns, picky)
	for name, msg := range map[string]string{
		"big":   "0/1 nodes are available: 1 Insufficient cpu.",
		"picky": "0/1 nodes are available: 1 node(s) didn't match Pod's node affinity/selector.",
	} {
		eventually(t, 30*time.Second, func() (bool, string) {
			pod, err := kube.CoreV1().Pods(ns).Get(ctx, name, metav1.GetOptions{})
			if err != nil {
				return false, err.Error()
			}
			for _, c := range pod.Status.Conditions {
				if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable && c.Message == msg {
					return pod.Spec.NodeName == "" && pod.Status.Phase == corev1.PodPending, "bound: " + pod.Spec.NodeName
				}
			}
			return false, fmt.Sprintf("conditions %+v", pod.Status.Conditions)
		})
	}
}

// TestGatedPodWaitsForItsGate: a pod with a scheduling gate (a staged
// driver) is not bound until the gate is removed, then runs.
func TestGatedPodWaitsForItsGate(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	gated := shPod("gated", "true")
	gated.Spec.SchedulingGates = []corev1.PodSchedulingGate{{Name: "example.com/hold"}}
	createPod(t, ns, gated)
	time.Sleep(6 * time.Second) // a scheduler pass runs at least every 5 s
	pod, err := kube.CoreV1().Pods(ns).Get(ctx, "gated", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if pod.Spec.NodeName != "" {
		t.Fatalf("gated pod bound to %s", pod.Spec.NodeName)
	}
	patch := []byte(`{"spec":{"schedulingGates":null}}`)
	if _, err := kube.CoreV1().Pods(ns).Patch(ctx, "gated", types.MergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, ns, "gated", corev1.PodSucceeded)
}

func TestAgentStopKillsPodsAndRestartFailsThem(t *testing.T) {
	ns := namespace(t)
	createPod(t, ns, shPod("survivor", "sleep 600 & sleep 600; wait"))
	pid := pidOf(t, waitPhase(t, ns, "survivor", corev1.PodRunning).Status.ContainerStatuses[0])
	if err := stopAgent(); err != nil {
		t.Fatalf("Run returned %v", err)
	}
	// Run has returned: nothing of the pod may be left, the backgrounded
	// sleep included (same process group).
	if ok, msg := processGone(pid); !ok {
		t.Error(msg)
	}
	assertNoPodProcess(t)
	var err error
	if stopAgent, err = startAgent(agentCfg); err != nil {
		t.Fatal(err)
	}
	pod := waitPhase(t, ns, "survivor", corev1.PodFailed)
	if pod.Status.Reason != "NodeAgentRestarted" || pod.Status.ContainerStatuses[0].State.Terminated == nil {
		t.Fatalf("status after restart: %+v", pod.Status)
	}
}

// assertNoPodProcess fails when a sleep started by a pod of the test agent
// (its environment names a pod IP of the test range) still runs.
func assertNoPodProcess(t *testing.T) {
	t.Helper()
	entries, err := os.ReadDir("/proc")
	if err != nil {
		t.Fatal(err)
	}
	self := os.Getpid()
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil || pid == self {
			continue
		}
		stat, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		cmdline, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "cmdline"))
		environ, _ := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		if strings.Contains(string(environ), "SPARK_LOCAL_IP=127.0.100.") && strings.Contains(string(stat), "(sleep)") {
			t.Errorf("pod process left behind: pid %d %q", pid, strings.ReplaceAll(string(cmdline), "\x00", " "))
		}
	}
}

func TestPendingPodIsScheduledWhenAnotherEnds(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	node, err := kube.CoreV1().Nodes().Get(ctx, DefaultNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	cpu := node.Status.Allocatable[corev1.ResourceCPU]
	first := shPod("first", "sleep 600")
	first.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: cpu}
	createPod(t, ns, first)
	waitPhase(t, ns, "first", corev1.PodRunning)
	second := shPod("second", "echo scheduled")
	second.Spec.Containers[0].Resources.Requests = corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("1")}
	createPod(t, ns, second)
	eventually(t, 30*time.Second, func() (bool, string) {
		pod, err := kube.CoreV1().Pods(ns).Get(ctx, "second", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range pod.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Reason == corev1.PodReasonUnschedulable {
				return pod.Spec.NodeName == "", "bound while the node is full"
			}
		}
		return false, fmt.Sprintf("conditions %+v", pod.Status.Conditions)
	})
	if err := kube.CoreV1().Pods(ns).Delete(ctx, "first", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, ns, "second", corev1.PodSucceeded)
}

// Mount points a pod's sandbox had to create on the host are removed when
// the last pod mounting there is gone, not before.
func TestCreatedMountPointsRemovedWithTheLastPod(t *testing.T) {
	ns := namespace(t)
	top := "/srv/sparkplane-mount-test-" + ns
	t.Cleanup(func() { os.RemoveAll(top) })
	mountAt := func(name string) *corev1.Pod {
		pod := shPod(name, "sleep 600")
		pod.Spec.Volumes = []corev1.Volume{{Name: "scratch", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
		pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "scratch", MountPath: top + "/data"}}
		return pod
	}
	createPod(t, ns, mountAt("one"))
	waitPhase(t, ns, "one", corev1.PodRunning)
	createPod(t, ns, mountAt("two"))
	waitPhase(t, ns, "two", corev1.PodRunning)
	if _, err := os.Stat(top + "/data"); err != nil {
		t.Fatalf("mount point not on the host while pods run: %v", err)
	}
	zero := int64(0)
	for i, name := range []string{"one", "two"} {
		if err := kube.CoreV1().Pods(ns).Delete(context.Background(), name, metav1.DeleteOptions{GracePeriodSeconds: &zero}); err != nil {
			t.Fatal(err)
		}
		eventually(t, 30*time.Second, func() (bool, string) { return podGone(ns, name) })
		_, err := os.Stat(top)
		if i == 0 && err != nil {
			t.Fatalf("removed while pod two still mounts there: %v", err)
		}
		if i == 1 {
			eventually(t, 10*time.Second, func() (bool, string) {
				_, err := os.Stat(top)
				return os.IsNotExist(err), fmt.Sprintf("%s still on the host (%v)", top, err)
			})
		}
	}
}
