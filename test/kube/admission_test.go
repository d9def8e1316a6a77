package kube

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"

	admissionv1 "k8s.io/api/admissionregistration/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/emr"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// The helpers below install deploy/admission and act as a run's service
// accounts (impersonation, with the bound token's pod name).

// applyAdmission installs deploy/admission/run-pods.yaml, its policies
// renamed after ns and bound to ns alone, so the other tests' pods (bound
// to a node by hand) stay out of it.
func applyAdmission(t *testing.T, ns string) {
	t.Helper()
	b, err := os.ReadFile("../../deploy/admission/run-pods.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	api := kube.AdmissionregistrationV1()
	for _, doc := range strings.Split(string(b), "\n---\n") {
		var meta metav1.TypeMeta
		if err := yaml.Unmarshal([]byte(doc), &meta); err != nil {
			t.Fatal(err)
		}
		switch meta.Kind {
		case "ValidatingAdmissionPolicy":
			var p admissionv1.ValidatingAdmissionPolicy
			if err := yaml.UnmarshalStrict([]byte(doc), &p); err != nil {
				t.Fatal(err)
			}
			p.Name += "-" + ns
			if _, err := api.ValidatingAdmissionPolicies().Create(ctx, &p, metav1.CreateOptions{}); err != nil {
				t.Fatalf("policy %s: %v", p.Name, err)
			}
			t.Cleanup(func() { _ = api.ValidatingAdmissionPolicies().Delete(ctx, p.Name, metav1.DeleteOptions{}) })
		case "ValidatingAdmissionPolicyBinding":
			var pb admissionv1.ValidatingAdmissionPolicyBinding
			if err := yaml.UnmarshalStrict([]byte(doc), &pb); err != nil {
				t.Fatal(err)
			}
			pb.Name += "-" + ns
			pb.Spec.PolicyName += "-" + ns
			if pb.Spec.MatchResources == nil {
				pb.Spec.MatchResources = &admissionv1.MatchResources{}
			}
			if pb.Spec.MatchResources.NamespaceSelector == nil {
				pb.Spec.MatchResources.NamespaceSelector = &metav1.LabelSelector{}
			}
			pb.Spec.MatchResources.NamespaceSelector.MatchLabels = map[string]string{"kubernetes.io/metadata.name": ns}
			if _, err := api.ValidatingAdmissionPolicyBindings().Create(ctx, &pb, metav1.CreateOptions{}); err != nil {
				t.Fatalf("binding %s: %v", pb.Name, err)
			}
			t.Cleanup(func() { _ = api.ValidatingAdmissionPolicyBindings().Delete(ctx, pb.Name, metav1.DeleteOptions{}) })
		default:
			t.Fatalf("unexpected %s in run-pods.yaml", meta.Kind)
		}
	}
	// The policies are type-checked when created; a mistake shows in their status.
	eventually(t, "policies type-checked", func() error {
		list, err := api.ValidatingAdmissionPolicies().List(ctx, metav1.ListOptions{})
		if err != nil {
			return err
		}
		for _, p := range list.Items {
			if !strings.HasSuffix(p.Name, "-"+ns) {
				continue
			}
			if p.Status.TypeChecking == nil {
				return fmt.Errorf("%s not checked yet", p.Name)
			}
			if w := p.Status.TypeChecking.ExpressionWarnings; len(w) > 0 {
				t.Fatalf("%s: %+v", p.Name, w)
			}
		}
		return nil
	})
}

// as returns a client that acts as user, with the pod name a bound
// service account token of that pod carries (none when empty).
func as(t *testing.T, user, podName string) kubernetes.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	rc.Impersonate = rest.ImpersonationConfig{UserName: user}
	if podName != "" {
		rc.Impersonate.Extra = map[string][]string{"authentication.kubernetes.io/pod-name": {podName}}
	}
	c, err := kubernetes.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// runAccount is the service account of a component of the test role.
func runAccount(component string) string {
	return "emr-containers-sa-spark-" + component + "-123456789012-" + emr.Base36("EMRJobRole")
}

func saUser(ns, sa string) string { return "system:serviceaccount:" + ns + ":" + sa }

// runPod is a pod of a run's component as Spark would create it: the
// run's labels, a service account, and mod's changes.
func runPod(ns, vc, id, component, sa string, mod func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{GenerateName: "spark-" + component + "-", Namespace: ns, Labels: map[string]string{
		k8sruntime.LabelJobID: id, k8sruntime.LabelVirtualCluster: vc, k8sruntime.LabelAttempt: "1",
		k8sruntime.LabelResourceType: "job.run", k8sruntime.LabelComponent: component}},
		Spec: corev1.PodSpec{ServiceAccountName: sa, RestartPolicy: corev1.RestartPolicyNever,
			Containers: []corev1.Container{{Name: "spark-kubernetes-" + component, Image: "apache/spark:3.5.7-java17-python3"}}}}
	if mod != nil {
		mod(p)
	}
	return p
}
