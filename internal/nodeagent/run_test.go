package nodeagent

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestNodeRegisteredReady(t *testing.T) {
	requireCluster(t)
	n, err := kube.CoreV1().Nodes().Get(context.Background(), DefaultNodeName, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	ready := false
	for _, c := range n.Status.Conditions {
		if c.Type == corev1.NodeReady && c.Status == corev1.ConditionTrue {
			ready = true
		}
	}
	cpu := n.Status.Allocatable[corev1.ResourceCPU]
	if !ready || cpu.IsZero() || n.Labels["kubernetes.io/hostname"] != DefaultNodeName || n.Labels["sparkplane.io/test"] != "yes" ||
		n.Labels["kubernetes.io/os"] != "linux" || n.Status.Addresses[0].Address != "127.0.0.1" {
		t.Fatalf("node: ready=%v allocatable=%v labels=%v addresses=%v", ready, n.Status.Allocatable, n.Labels, n.Status.Addresses)
	}
}

func TestJobCompletesAndLogsAreServed(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "hello"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "main", Image: "busybox", Command: []string{"sh", "-c", "echo hello from $(hostname)"}}},
		}}},
	}
	if _, err := kube.BatchV1().Jobs(ns).Create(ctx, job, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, time.Minute, func() (bool, string) {
		j, err := kube.BatchV1().Jobs(ns).Get(ctx, "hello", metav1.GetOptions{})
		if err != nil {
			return false, err.Error()
		}
		for _, c := range j.Status.Conditions {
			if c.Type == batchv1.JobComplete && c.Status == corev1.ConditionTrue {
				return true, ""
			}
		}
		return false, fmt.Sprintf("job status %+v", j.Status)
	})
	pods, err := kube.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: "job-name=hello"})
	if err != nil || len(pods.Items) != 1 {
		t.Fatalf("job pods: %v %v", pods, err)
	}
	pod := pods.Items[0]
	cs := pod.Status.ContainerStatuses[0]
	if pod.Status.Phase != corev1.PodSucceeded || cs.State.Terminated == nil || cs.State.Terminated.Reason != "Completed" ||
		cs.State.Terminated.StartedAt.IsZero() || pod.Status.PodIP == "" || pod.Status.HostIP != "127.0.0.1" {
		t.Fatalf("pod status %+v", pod.Status)
	}
	if got, want := podLogs(t, ns, pod.Name), "hello from "+pod.Name+"\n"; got != want {
		t.Fatalf("logs = %q, want %q", got, want)
	}
}

func TestFailingContainerFailsThePod(t *testing.T) {
	ns := namespace(t)
	createPod(t, ns, shPod("fails", "echo oops >&2; exit 3"))
	pod := waitPhase(t, ns, "fails", corev1.PodFailed)
	term := pod.Status.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 3 || term.Reason != "Error" || term.FinishedAt.IsZero() {
		t.Fatalf("container state %+v", pod.Status.ContainerStatuses[0].State)
	}
	if got := podLogs(t, ns, "fails"); got != "oops\n" {
		t.Fatalf("logs = %q", got)
	}
}

func TestInitContainersRunFirstInOrder(t *testing.T) {
	ns := namespace(t)
	pod := shPod("inits", "cat /work/order")
	pod.Spec.Volumes = []corev1.Volume{{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	mount := []corev1.VolumeMount{{Name: "work", MountPath: "/work"}}
	pod.Spec.Containers[0].VolumeMounts = mount
	for _, n := range []string{"one", "two"} {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: n, Image: "busybox",
			Command: []string{"sh", "-c", "echo " + n + " >> /work/order"}, VolumeMounts: mount})
	}
	createPod(t, ns, pod)
	got := waitPhase(t, ns, "inits", corev1.PodSucceeded)
	if logs := podLogs(t, ns, "inits"); logs != "one\ntwo\n" {
		t.Fatalf("logs = %q", logs)
	}
	for _, cs := range got.Status.InitContainerStatuses {
		if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
			t.Fatalf("init container %s: %+v", cs.Name, cs.State)
		}
	}
}

func TestEnvironmentAndHostname(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "cm"},
		Data: map[string]string{"color": "blue", "size": "L"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "sec"},
		Data: map[string][]byte{"password": []byte("s3cret")}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	field := func(p string) *corev1.EnvVarSource {
		return &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: p}}
	}
	pod := shPod("envs", "env | sort; echo HOST=$(hostname)")
	pod.Labels = map[string]string{"app": "envs"}
	pod.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "cm"}}}}
	pod.Spec.Containers[0].Env = []corev1.EnvVar{
		{Name: "MY_IP", ValueFrom: field("status.podIP")},
		{Name: "MY_NAME", ValueFrom: field("metadata.name")},
		{Name: "MY_NODE", ValueFrom: field("spec.nodeName")},
		{Name: "MY_APP", ValueFrom: field("metadata.labels['app']")},
		{Name: "ADDR", Value: "$(MY_IP):7077"},
		{Name: "ESCAPED", Value: "$$(MY_IP)"},
		{Name: "UNDEFINED", Value: "$(NOPE)"},
		{Name: "COLOR", Value: "$(CM_color)"},
		{Name: "PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "sec"}, Key: "password"}}},
		{Name: "MISSING", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: "nope"}, Key: "k", Optional: ptrTo(true)}}},
	}
	createPod(t, ns, pod)
	got := waitPhase(t, ns, "envs", corev1.PodSucceeded)
	ip := got.Status.PodIP
	logs := podLogs(t, ns, "envs")
	for _, want := range []string{
		"MY_IP=" + ip, "MY_NAME=envs", "MY_NODE=" + DefaultNodeName, "MY_APP=envs", "ADDR=" + ip + ":7077",
		"ESCAPED=$(MY_IP)", "UNDEFINED=$(NOPE)", "COLOR=blue", "CM_size=L", "PASSWORD=s3cret",
		"SPARK_LOCAL_IP=" + ip, "KUBERNETES_SERVICE_HOST=127.0.0.1", "HOST=envs",
	} {
		if !strings.Contains(logs, want+"\n") {
			t.Errorf("env lacks %q:\n%s", want, logs)
		}
	}
	if strings.Contains(logs, "MISSING=") || strings.Contains(logs, "SPARKPLANE_SANDBOX") {
		t.Errorf("unexpected variables:\n%s", logs)
	}
}

func TestOnFailureRestartsTheContainer(t *testing.T) {
	ns := namespace(t)
	pod := shPod("retry", "if [ -e /work/once ]; then echo second; exit 0; fi; touch /work/once; echo first; exit 1")
	pod.Spec.RestartPolicy = corev1.RestartPolicyOnFailure
	pod.Spec.Volumes = []corev1.Volume{{Name: "work", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}}
	pod.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "work", MountPath: "/work"}}
	createPod(t, ns, pod)
	got := waitPhase(t, ns, "retry", corev1.PodSucceeded) // after kubelet's 10 s back-off
	cs := got.Status.ContainerStatuses[0]
	if last := cs.LastTerminationState.Terminated; cs.RestartCount != 1 || last == nil || last.ExitCode != 1 {
		t.Fatalf("container status %+v", cs)
	}
	if logs := podLogs(t, ns, "retry"); logs != "first\nsecond\n" {
		t.Fatalf("logs = %q", logs)
	}
}

func TestUnmappedImageWaits(t *testing.T) {
	ns := namespace(t)
	pod := shPod("unmapped", "true")
	pod.Spec.Containers[0].Image = "example.com/team/unknown:1.0"
	createPod(t, ns, pod)
	eventually(t, 30*time.Second, func() (bool, string) {
		p, err := kube.CoreV1().Pods(ns).Get(context.Background(), "unmapped", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, fmt.Sprintf("%v", err)
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return p.Status.Phase == corev1.PodPending && w != nil && w.Reason == "ImageNotMapped" &&
			strings.Contains(w.Message, "example.com/team/unknown:1.0"), fmt.Sprintf("status %+v", p.Status)
	})
}

// An image whose files are being prepared (a Spark being installed) keeps
// the pod ContainerCreating, saying why, and starts it once they are.
func TestPendingImageWaitsThenRuns(t *testing.T) {
	ns := namespace(t)
	pod := shPod("pending", "true")
	pod.Spec.Containers[0].Image = "example.com/slow:3.3.0"
	createPod(t, ns, pod)
	eventually(t, 30*time.Second, func() (bool, string) {
		p, err := kube.CoreV1().Pods(ns).Get(context.Background(), "pending", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, fmt.Sprintf("%v", err)
		}
		if p.Status.Phase == corev1.PodSucceeded {
			return true, "" // it may start before its waiting state is seen
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return p.Status.Phase == corev1.PodPending && w != nil && w.Reason == "ContainerCreating" &&
			strings.Contains(w.Message, "installing version 3.3.0"), fmt.Sprintf("status %+v", p.Status)
	})
	waitPhase(t, ns, "pending", corev1.PodSucceeded)
}

// An image that cannot run here fails its pod with the reason.
func TestUnavailableImageFailsThePod(t *testing.T) {
	ns := namespace(t)
	pod := shPod("too-old", "true")
	pod.Spec.Containers[0].Image = "example.com/old:v2.4.8"
	createPod(t, ns, pod)
	p := waitPhase(t, ns, "too-old", corev1.PodFailed)
	term := p.Status.ContainerStatuses[0].State.Terminated
	if term == nil || term.ExitCode != 128 || term.Reason != "StartError" || !strings.Contains(term.Message, "version 2.4.8 is too old") ||
		!strings.Contains(p.Status.Message, "version 2.4.8 is too old") {
		t.Fatalf("status %+v", p.Status)
	}
}

// A missing config map keeps the container waiting with
// CreateContainerConfigError (even with restartPolicy Never) until it
// exists, as kubelet does.
func TestMissingConfigMapWaitsThenRuns(t *testing.T) {
	ns := namespace(t)
	pod := shPod("needs-config", `test "$GREETING" = hello`)
	pod.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "GREETING", ValueFrom: &corev1.EnvVarSource{
		ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "later"}, Key: "greeting"}}}}
	createPod(t, ns, pod)
	eventually(t, 30*time.Second, func() (bool, string) {
		p, err := kube.CoreV1().Pods(ns).Get(context.Background(), "needs-config", metav1.GetOptions{})
		if err != nil || len(p.Status.ContainerStatuses) == 0 {
			return false, fmt.Sprintf("%v", err)
		}
		w := p.Status.ContainerStatuses[0].State.Waiting
		return p.Status.Phase == corev1.PodPending && w != nil && w.Reason == "CreateContainerConfigError" &&
			strings.Contains(w.Message, "later"), fmt.Sprintf("status %+v", p.Status)
	})
	cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "later", Namespace: ns}, Data: map[string]string{"greeting": "hello"}}
	if _, err := kube.CoreV1().ConfigMaps(ns).Create(context.Background(), cm, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitPhase(t, ns, "needs-config", corev1.PodSucceeded)
}
