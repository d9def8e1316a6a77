package kubernetes

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// AnnotationRoleARN is the annotation of a service account that EKS's pod
// identity webhook (IRSA) reads: pods running as it get web identity
// credentials of that IAM role.
const AnnotationRoleARN = "eks.amazonaws.com/role-arn"

// annotationExecutionRole records the role on EMR's service accounts.
const annotationExecutionRole = "emr-containers.amazonaws.com/execution-role"

// RoleGrant is what the runs of one execution role get on a cluster
// beyond IRSA.
type RoleGrant struct {
	// KubernetesSecret names a secret in the virtual cluster's namespace
	// whose keys become the environment (envFrom) of the role's job
	// runner, driver and executor containers; runs of other roles never
	// reference it. Empty: none.
	KubernetesSecret string
}

// VerbUseSecret is the RBAC verb that lets a run's service account create
// pods that reference a secret (checked by the ValidatingAdmissionPolicy
// in deploy/admission; no Kubernetes API checks it).
const VerbUseSecret = "use"

// secretEnv is the envFrom of the role's containers: its secret, if any.
func (p *plan) secretEnv() []corev1.EnvFromSource {
	if p.grant.KubernetesSecret == "" {
		return nil
	}
	return []corev1.EnvFromSource{{SecretRef: &corev1.SecretEnvSource{
		LocalObjectReference: corev1.LocalObjectReference{Name: p.grant.KubernetesSecret}}}}
}

// withSecretEnv adds the role's secret to the main container of a pod template.
func (p *plan) withSecretEnv(pod *corev1.Pod, mainContainer string) {
	env := p.secretEnv()
	if env == nil {
		return
	}
	for i := range pod.Spec.Containers {
		if pod.Spec.Containers[i].Name == mainContainer {
			pod.Spec.Containers[i].EnvFrom = append(pod.Spec.Containers[i].EnvFrom, env...)
		}
	}
}

// secretRoleName names the Role that lets the role's client and driver
// accounts create pods referencing its secret.
func (id identity) secretRoleName() string {
	return fmt.Sprintf("emr-containers-role-spark-secret-%s-%s", id.account, emr.Base36(id.roleName))
}

// secretRole grants the verb "use" on the role's secret alone; nil
// without a secret.
func (p *plan) secretRole() *rbacv1.Role {
	if p.grant.KubernetesSecret == "" {
		return nil
	}
	return &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: p.who.secretRoleName(), Namespace: p.ns},
		Rules: []rbacv1.PolicyRule{{APIGroups: []string{""}, Resources: []string{"secrets"},
			ResourceNames: []string{p.grant.KubernetesSecret}, Verbs: []string{VerbUseSecret}}}}
}

// secretRoleBinding binds the secret Role to the role's job runner (which
// creates the driver pod) and driver (which creates executor pods).
func (p *plan) secretRoleBinding() *rbacv1.RoleBinding {
	if p.grant.KubernetesSecret == "" {
		return nil
	}
	var subjects []rbacv1.Subject
	for _, c := range []string{"client", "driver"} {
		subjects = append(subjects, rbacv1.Subject{Kind: "ServiceAccount", Name: p.who.serviceAccount(c), Namespace: p.ns})
	}
	return &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: p.who.secretRoleName(), Namespace: p.ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: p.who.secretRoleName()},
		Subjects: subjects}
}

// DefaultSecretName is the secret the runtime keeps, with
// Options.DefaultKeys, in each namespace whose runs use it.
const DefaultSecretName = "sparkplane-default-credentials"

// AccessKeys are an access key pair, which pods get as AWS_ACCESS_KEY_ID
// and AWS_SECRET_ACCESS_KEY: the AWS SDKs' environment provider, first in
// S3A's default chain, reads them.
type AccessKeys struct {
	AccessKeyID, SecretAccessKey string
}

// defaultSecret holds keys in the namespace ns.
func defaultSecret(ns string, keys AccessKeys) *corev1.Secret {
	return &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: DefaultSecretName, Namespace: ns,
			Labels: map[string]string{labelManagedBy: fieldManager}},
		Type: corev1.SecretTypeOpaque,
		StringData: map[string]string{
			"AWS_ACCESS_KEY_ID":     keys.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY": keys.SecretAccessKey,
		},
	}
}

// labelManagedBy marks the secrets sparkplane keeps.
const labelManagedBy = "app.kubernetes.io/managed-by"

// ensureDefaultSecret makes DefaultSecretName in ns hold the current
// DefaultKeys. It replaces only a secret sparkplane made; errors never
// carry the keys.
func (r *Runtime) ensureDefaultSecret(ctx context.Context, ns string) error {
	keys, err := r.opts.DefaultKeys()
	if err != nil {
		return fmt.Errorf("the default credentials: %w", err)
	}
	if held, ok := r.defaultSecret.Load(ns); ok && held.(AccessKeys) == keys {
		return nil
	}
	secrets := r.opts.Client.CoreV1().Secrets(ns)
	want := defaultSecret(ns, keys)
	_, err = secrets.Create(ctx, want, metav1.CreateOptions{FieldManager: fieldManager})
	if apierrors.IsAlreadyExists(err) {
		var cur *corev1.Secret
		if cur, err = secrets.Get(ctx, DefaultSecretName, metav1.GetOptions{}); err != nil {
			return clusterError("get Secret "+DefaultSecretName, ns, err)
		}
		if cur.Labels[labelManagedBy] != fieldManager {
			return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf(
				"secret %s in namespace %s is not sparkplane's: rename it, or map the execution role to a kubernetesSecret", DefaultSecretName, ns)}
		}
		cur.Data, cur.StringData = nil, want.StringData
		_, err = secrets.Update(ctx, cur, metav1.UpdateOptions{FieldManager: fieldManager})
	}
	if err != nil {
		return clusterError("write Secret "+DefaultSecretName, ns, err)
	}
	r.defaultSecret.Store(ns, keys)
	return nil
}
