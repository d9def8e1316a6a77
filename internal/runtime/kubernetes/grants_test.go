package kubernetes

import (
	"context"
	"errors"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sparkplane/sparkplane/internal/runtime"
)

// TestDefaultKeysGoToRolesWithoutASecret: with DefaultKeys, a role that
// maps no secret gets DefaultSecretName (and the verb to use it); a role
// with a secret of its own gets only that, and its pod templates may not
// name the default one, even where pod templates may name secrets.
func TestDefaultKeysGoToRolesWithoutASecret(t *testing.T) {
	vc, run := testRun("")
	opts := &Options{DefaultKeys: func() (AccessKeys, error) { return AccessKeys{"AKID", "s3cr3t"}, nil },
		Roles: map[string]RoleGrant{"arn:aws:iam::123456789012:role/own": {KubernetesSecret: "own-creds"}}}
	p, err := newPlan(vc, run, opts)
	if err != nil {
		t.Fatal(err)
	}
	if !p.defaultGrant || p.job().Spec.Template.Spec.Containers[0].EnvFrom[0].SecretRef.Name != DefaultSecretName ||
		p.executor.Spec.Containers[0].EnvFrom[0].SecretRef.Name != DefaultSecretName ||
		p.secretRole().Rules[0].ResourceNames[0] != DefaultSecretName {
		t.Errorf("a role without a secret: default %v, runner env %+v", p.defaultGrant, p.job().Spec.Template.Spec.Containers[0].EnvFrom)
	}
	if strings.Contains(p.sub.DefaultsFile(), "s3cr3t") {
		t.Error("the key is in spark-defaults.conf")
	}

	run.ExecutionRoleARN = "arn:aws:iam::123456789012:role/own"
	if q, err := newPlan(vc, run, opts); err != nil || q.defaultGrant || q.secretEnv()[0].SecretRef.Name != "own-creds" {
		t.Errorf("a role with its own secret: %v, %+v", err, q)
	}
	dir := t.TempDir()
	opts.PodTemplateDirs, opts.AllowPrivilegedPodTemplates = []string{dir}, true // refused even then
	tmpl := writeTemplate(t, dir, "steal.yaml", "apiVersion: v1\nkind: Pod\nspec:\n  containers:\n  - name: spark-kubernetes-driver\n    envFrom: [{secretRef: {name: "+DefaultSecretName+"}}]\n")
	vc, run = testRun("--conf spark.kubernetes.driver.podTemplateFile=" + tmpl)
	run.ExecutionRoleARN = "arn:aws:iam::123456789012:role/own"
	if _, err := newPlan(vc, run, opts); err == nil || !strings.Contains(err.Error(), "secret") {
		t.Errorf("a role with its own secret names the default one in a pod template: %v", err)
	}
}

// TestEnsureDefaultSecret: the secret is created, follows changed keys, and
// one that sparkplane did not make is neither replaced nor used.
func TestEnsureDefaultSecret(t *testing.T) {
	ctx := context.Background()
	keys := AccessKeys{"AKID1", "one"}
	client := fake.NewClientset(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: DefaultSecretName, Namespace: "theirs"}})
	r := New(Options{Client: client, DefaultKeys: func() (AccessKeys, error) { return keys, nil }})
	get := func(ns string) map[string]string {
		s, err := client.CoreV1().Secrets(ns).Get(ctx, DefaultSecretName, metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		return s.StringData // the fake API server does not fold it into Data
	}
	if err := r.ensureDefaultSecret(ctx, "ns1"); err != nil {
		t.Fatal(err)
	}
	if d := get("ns1"); d["AWS_ACCESS_KEY_ID"] != "AKID1" || d["AWS_SECRET_ACCESS_KEY"] != "one" {
		t.Fatalf("secret data %v", d)
	}
	keys = AccessKeys{"AKID2", "two"}
	if err := r.ensureDefaultSecret(ctx, "ns1"); err != nil {
		t.Fatal(err)
	}
	if d := get("ns1"); d["AWS_ACCESS_KEY_ID"] != "AKID2" || d["AWS_SECRET_ACCESS_KEY"] != "two" {
		t.Fatalf("secret data after new keys %v", d)
	}
	err := r.ensureDefaultSecret(ctx, "theirs")
	var se *runtime.SubmitError
	if !errors.As(err, &se) || !strings.Contains(se.Message, "not sparkplane's") || strings.Contains(se.Message, "two") {
		t.Fatalf("someone else's secret: %v", err)
	}
	if d := get("theirs"); len(d) != 0 {
		t.Errorf("someone else's secret was replaced: %v", d)
	}
}
