package kubernetes

import (
	"fmt"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
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
