package kube

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// newRun is a run of the test role in a fresh virtual cluster on ns.
func newRun(ns string) (*emr.VirtualCluster, *emr.JobRun) {
	vc := &emr.VirtualCluster{ID: "vc" + fmt.Sprint(time.Now().UnixNano()%100000), ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: clusterID,
		Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: ns}}}}
	var ids emr.JobRunIDs
	run := &emr.JobRun{ID: ids.Next(time.Now()), VirtualClusterID: vc.ID, ExecutionRoleARN: role, ReleaseLabel: "emr-7.2.0-latest",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{EntryPoint: "local:///usr/lib/spark/examples/src/main/python/pi.py"}}}
	return vc, run
}

func createSecret(t *testing.T, ns, name string) {
	t.Helper()
	s := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: name}, StringData: map[string]string{"AWS_ACCESS_KEY_ID": "x"}}
	if _, err := kube.CoreV1().Secrets(ns).Create(context.Background(), s, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

func withSecretEnv(name string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: name}}}}
	}
}

// TestAdmissionPolicyConfinesRunPods: with deploy/admission installed, a
// run's driver may create executor pods of its own run, as the executor
// account, with its role's secret; not pods as another account, of another
// run, with another secret, with hostPath or privileged containers (unless
// the namespace opts in).
func TestAdmissionPolicyConfinesRunPods(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	createSecret(t, ns, "creds")
	createSecret(t, ns, "other-secret")
	rt := k8sruntime.New(k8sruntime.Options{ClusterID: clusterID, Client: kube,
		Roles: map[string]k8sruntime.RoleGrant{role: {KubernetesSecret: "creds"}}})
	t.Cleanup(rt.Close)
	vc, run := newRun(ns)
	if err := rt.Submit(ctx, vc, run); err != nil {
		t.Fatal(err)
	}
	applyAdmission(t, ns)
	driver := as(t, saUser(ns, runAccount("driver")), k8sruntime.DriverPodName(run))
	executor := func(mod func(*corev1.Pod)) *corev1.Pod {
		return runPod(ns, vc.ID, run.ID, k8sruntime.ComponentExecutor, runAccount("executor"), mod)
	}
	// The policies take effect shortly after they are created.
	eventually(t, "policy in force", func() error {
		p, err := driver.CoreV1().Pods(ns).Create(ctx, executor(func(p *corev1.Pod) { p.Spec.ServiceAccountName = runAccount("client") }), metav1.CreateOptions{})
		if err == nil {
			_ = kube.CoreV1().Pods(ns).Delete(ctx, p.Name, metav1.DeleteOptions{})
			return errors.New("a pod as the client account was admitted")
		}
		if !strings.Contains(err.Error(), "must run as "+runAccount("executor")) {
			return err
		}
		return nil
	})
	for _, tc := range []struct {
		name, want string
		pod        *corev1.Pod
	}{
		{"default account", "must run as", executor(func(p *corev1.Pod) { p.Spec.ServiceAccountName = "default" })},
		{"another run", "of its own run only", executor(func(p *corev1.Pod) { p.Labels[k8sruntime.LabelJobID] = "0000000000000000000" })},
		{"another role's secret", "may not use the secrets", executor(withSecretEnv("other-secret"))},
		{"hostPath", "hostPath", executor(func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/"}}}}
		})},
		{"privileged sidecar", "privileges", executor(func(p *corev1.Pod) {
			yes := true
			p.Spec.InitContainers = []corev1.Container{{Name: "side", Image: "busybox", SecurityContext: &corev1.SecurityContext{Privileged: &yes}}}
		})},
		{"hostNetwork", "network", executor(func(p *corev1.Pod) { p.Spec.HostNetwork = true })},
		{"nodeName", "nodeName", executor(func(p *corev1.Pod) { p.Spec.NodeName = "node-1" })},
	} {
		_, err := driver.CoreV1().Pods(ns).Create(ctx, tc.pod, metav1.CreateOptions{})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want a refusal saying %q", tc.name, err, tc.want)
		}
	}
	if _, err := driver.CoreV1().Pods(ns).Create(ctx, executor(withSecretEnv("creds")), metav1.CreateOptions{}); err != nil {
		t.Errorf("a normal executor pod with its role's secret: %v", err)
	}
	// The executor account creates no pods at all.
	_, err := as(t, saUser(ns, runAccount("executor")), "").CoreV1().Pods(ns).Create(ctx, executor(nil), metav1.CreateOptions{})
	if err == nil {
		t.Error("the executor account created a pod")
	}

	// A namespace labelled sparkplane.io/allow-privileged-pods=true opts out of the pod security policy.
	nsObj, err := kube.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	nsObj.Labels["sparkplane.io/allow-privileged-pods"] = "true"
	if _, err := kube.CoreV1().Namespaces().Update(ctx, nsObj, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "hostPath admitted after opt-in", func() error {
		_, err := driver.CoreV1().Pods(ns).Create(ctx, executor(func(p *corev1.Pod) {
			p.Spec.Volumes = []corev1.Volume{{Name: "h", VolumeSource: corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/data"}}}}
		}), metav1.CreateOptions{})
		return err
	})
}

// TestRuntimeRunsWithTheShippedRBACOnly runs the runtime as an identity
// bound only to deploy/rbac's roles, with deploy/admission installed:
// CheckNamespace, Submit (service accounts with IRSA, Roles, the secret
// grant), Observe, adopting the driver, Logs and Stop all work, and the
// pods Spark would create pass the admission policies.
func TestRuntimeRunsWithTheShippedRBACOnly(t *testing.T) {
	ns := namespace(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	shipped := applyManifest(t, ns, "../../deploy/rbac/namespace-role.yaml")
	waitAllowed(t, ns, "system:serviceaccount:sparkplane:sparkplane", shipped)
	applyClusterRole(t, "../../deploy/rbac/cluster-role-nodes.yaml")
	applyAdmission(t, ns)
	createSecret(t, ns, "creds")
	sparkplane := as(t, "system:serviceaccount:sparkplane:sparkplane", "")
	rt := k8sruntime.New(k8sruntime.Options{ClusterID: clusterID, Client: sparkplane,
		Roles: map[string]k8sruntime.RoleGrant{role: {KubernetesSecret: "creds"}}})
	t.Cleanup(rt.Close)
	vc, run := newRun(ns)

	if err := rt.CheckNamespace(ctx, ns); err != nil {
		t.Fatalf("CheckNamespace: %v", err)
	}
	if err := rt.Submit(ctx, vc, run); err != nil {
		t.Fatalf("Submit: %v", err)
	}
	for _, c := range []string{"client", "driver", "executor"} {
		sa, err := kube.CoreV1().ServiceAccounts(ns).Get(ctx, runAccount(c), metav1.GetOptions{})
		if err != nil || sa.Annotations[k8sruntime.AnnotationRoleARN] != role {
			t.Errorf("service account %s: %v %v", runAccount(c), err, sa.Annotations)
		}
	}
	if obs, err := rt.Observe(ctx, vc, run); err != nil || obs.Phase != runtime.PhaseSubmitted {
		t.Fatalf("Observe: %v %v", obs, err)
	}
	runner := jobRunnerPod(t, ns, run.ID) // created by the Job controller: passes the pod security policy
	if got := runner.Spec.Containers[0].EnvFrom; len(got) != 1 || got[0].SecretRef.Name != "creds" {
		t.Errorf("job runner envFrom %+v", got)
	}
	setStatus(t, runner, corev1.PodRunning)

	// spark-submit, in the job runner pod, creates the driver; the driver its executor.
	var driver *corev1.Pod
	eventually(t, "driver admitted", func() (err error) {
		driver, err = as(t, saUser(ns, runAccount("client")), runner.Name).CoreV1().Pods(ns).Create(ctx,
			runPod(ns, vc.ID, run.ID, k8sruntime.ComponentDriver, runAccount("driver"), func(p *corev1.Pod) {
				p.GenerateName, p.Name = "", k8sruntime.DriverPodName(run)
				withSecretEnv("creds")(p)
			}), metav1.CreateOptions{})
		return err
	})
	if _, err := as(t, saUser(ns, runAccount("driver")), driver.Name).CoreV1().Pods(ns).Create(ctx,
		runPod(ns, vc.ID, run.ID, k8sruntime.ComponentExecutor, runAccount("executor"), withSecretEnv("creds")), metav1.CreateOptions{}); err != nil {
		t.Fatalf("executor: %v", err)
	}
	setStatus(t, driver, corev1.PodRunning)
	eventually(t, "running, driver adopted", func() error {
		obs, err := rt.Observe(ctx, vc, run)
		if err != nil || obs.Phase != runtime.PhaseRunning {
			return fmt.Errorf("%v %v", obs, err)
		}
		d, err := kube.CoreV1().Pods(ns).Get(ctx, driver.Name, metav1.GetOptions{})
		if err != nil || len(d.OwnerReferences) != 1 {
			return fmt.Errorf("driver owners: %v", err)
		}
		return nil
	})
	// No kubelet serves logs here; the point is that reading them is allowed.
	if _, err := rt.Logs(ctx, vc, run, k8sruntime.LogDriver); apierrors.IsForbidden(err) {
		t.Errorf("Logs: %v", err)
	}
	eventually(t, "stopped", func() error {
		gone, err := rt.Stop(ctx, vc, run)
		if err != nil || !gone {
			return fmt.Errorf("gone %v: %v", gone, err)
		}
		return nil
	})
}

// applyClusterRole creates a ClusterRole and its binding, once per control plane.
func applyClusterRole(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	var cr rbacv1.ClusterRole
	var crb rbacv1.ClusterRoleBinding
	if len(docs) != 2 || yaml.Unmarshal([]byte(docs[0]), &cr) != nil || yaml.Unmarshal([]byte(docs[1]), &crb) != nil {
		t.Fatalf("%s: want a ClusterRole and a ClusterRoleBinding", path)
	}
	ctx := context.Background()
	if _, err := kube.RbacV1().ClusterRoles().Create(ctx, &cr, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
	if _, err := kube.RbacV1().ClusterRoleBindings().Create(ctx, &crb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		t.Fatal(err)
	}
}
