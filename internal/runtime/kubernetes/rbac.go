package kubernetes

import (
	"context"
	"encoding/json"

	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ensureRBAC creates the role's service accounts (annotated for IRSA;
// accounts that exist get the annotation patched in), its Roles and
// RoleBindings, and, when the role has a secret, the Role that lets its
// client and driver accounts use that secret.
func (r *Runtime) ensureRBAC(ctx context.Context, p *plan) error {
	key := p.ns + "/" + p.roleARN + "/" + p.grant.KubernetesSecret
	if _, ok := r.rbacReady.Load(key); ok {
		return nil // created by an earlier run of this role; never removed by sparkplane
	}
	c := r.opts.Client
	for _, sa := range p.serviceAccounts() {
		_, err := c.CoreV1().ServiceAccounts(p.ns).Create(ctx, sa, metav1.CreateOptions{FieldManager: fieldManager})
		if apierrors.IsAlreadyExists(err) {
			patch, _ := json.Marshal(map[string]any{"metadata": map[string]any{"annotations": sa.Annotations}})
			_, err = c.CoreV1().ServiceAccounts(p.ns).Patch(ctx, sa.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
		}
		if err != nil {
			return clusterError("create ServiceAccount "+sa.Name, p.ns, err)
		}
	}
	roles, bindings := p.roles(), p.roleBindings()
	if role := p.secretRole(); role != nil {
		// A changed secret replaces the old one in the Role (patch).
		patch, _ := json.Marshal(map[string]any{"rules": role.Rules})
		_, err := c.RbacV1().Roles(p.ns).Create(ctx, role, metav1.CreateOptions{FieldManager: fieldManager})
		if apierrors.IsAlreadyExists(err) {
			_, err = c.RbacV1().Roles(p.ns).Patch(ctx, role.Name, types.MergePatchType, patch, metav1.PatchOptions{FieldManager: fieldManager})
		}
		if err != nil {
			return clusterError("create Role "+role.Name, p.ns, err)
		}
		bindings = append(bindings, p.secretRoleBinding())
	}
	for _, role := range roles {
		if _, err := c.RbacV1().Roles(p.ns).Create(ctx, role, metav1.CreateOptions{FieldManager: fieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
			return clusterError("create Role "+role.Name, p.ns, err)
		}
	}
	for _, rb := range bindings {
		if _, err := c.RbacV1().RoleBindings(p.ns).Create(ctx, rb, metav1.CreateOptions{FieldManager: fieldManager}); err != nil && !apierrors.IsAlreadyExists(err) {
			return clusterError("create RoleBinding "+rb.Name, p.ns, err)
		}
	}
	r.rbacReady.Store(key, true)
	return nil
}

// serviceAccounts are the client (job runner), driver and executor
// accounts of the execution role, shared by its runs in the namespace. As
// on EMR, each carries eks.amazonaws.com/role-arn: pods running as them get
// the role's credentials through IRSA.
func (p *plan) serviceAccounts() []*corev1.ServiceAccount {
	var out []*corev1.ServiceAccount
	for _, c := range []string{"client", "driver", "executor"} {
		out = append(out, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: p.who.serviceAccount(c), Namespace: p.ns,
			Annotations: map[string]string{annotationExecutionRole: p.roleARN, AnnotationRoleARN: p.roleARN}}})
	}
	return out
}

// roles are what the job runner and the driver may do in the namespace,
// and no more: the job runner (spark-submit) creates the driver pod, its
// headless service, config map and on-demand PVCs (server-side apply:
// create and patch), watches the driver and deletes what it made on
// failure; the driver does the same for its executors' pods, config map and
// PVCs, and deletes its service when it ends. Neither reads secrets, nor
// updates (only patches) objects. Executors get no role. Which service
// account the pods they create run as is the admission policy's business
// (deploy/admission).
func (p *plan) roles() []*rbacv1.Role {
	sparkRules := []rbacv1.PolicyRule{
		{APIGroups: []string{""}, Resources: []string{"pods", "services", "configmaps", "persistentvolumeclaims"},
			Verbs: sparkVerbs},
	}
	return []*rbacv1.Role{
		{ObjectMeta: metav1.ObjectMeta{Name: roleClient, Namespace: p.ns}, Rules: sparkRules},
		{ObjectMeta: metav1.ObjectMeta{Name: roleDriver, Namespace: p.ns}, Rules: sparkRules},
	}
}

// sparkVerbs are the verbs of the job runner's and driver's Roles.
var sparkVerbs = []string{"create", "get", "list", "watch", "delete", "deletecollection", "patch"}

func (p *plan) roleBindings() []*rbacv1.RoleBinding {
	bind := func(component, role string) *rbacv1.RoleBinding {
		return &rbacv1.RoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: p.who.roleBinding(component), Namespace: p.ns},
			RoleRef:    rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "Role", Name: role},
			Subjects:   []rbacv1.Subject{{Kind: "ServiceAccount", Name: p.who.serviceAccount(component), Namespace: p.ns}},
		}
	}
	return []*rbacv1.RoleBinding{bind("client", roleClient), bind("driver", roleDriver)}
}
