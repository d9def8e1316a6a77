package kubernetes

import (
	"context"
	"fmt"
	"strings"

	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// permission is one thing sparkplane must be allowed to do in a namespace.
type permission struct{ group, resource, verb string }

func (p permission) String() string {
	r := p.resource
	if p.group != "" {
		r = p.group + "/" + r
	}
	return p.verb + " " + r
}

// required is what the runtime does in a virtual cluster's namespace, and
// what the Roles it creates for Spark grant (Kubernetes lets it grant only
// what it holds); deploy/rbac/namespace-role.yaml grants exactly this
// (TestNamespaceRoleIsRequired).
var required = func() []permission {
	var ps []permission
	add := func(group, resource string, verbs ...string) {
		for _, v := range verbs {
			ps = append(ps, permission{group, resource, v})
		}
	}
	add("", "namespaces", "get")                                     // CheckNamespace
	add("batch", "jobs", "create", "get", "list", "watch", "delete") // Submit, the informer, Observe, Stop
	add("", "pods", sparkVerbs...)                                   // the informer, adoptDriver (patch), Stop (deletecollection), native Submit (create, get); the rest for Spark's Roles
	add("", "pods/log", "get")                                       // Logs, CollectLogs
	add("", "configmaps", sparkVerbs...)                             // Submit (create), Stop (deletecollection); the rest for Spark's Roles
	add("", "services", sparkVerbs...)                               // native Submit (create); the rest for Spark's Roles
	add("", "persistentvolumeclaims", sparkVerbs...)                 // for Spark's Roles only
	add("", "serviceaccounts", "create", "patch")                    // ensureRBAC: the role's accounts, their IRSA annotation
	add("", "secrets", VerbUseSecret)                                // for the role-secret Role only (no API checks "use")
	add("rbac.authorization.k8s.io", "roles", "create", "patch")     // ensureRBAC; patch: a role's secret changed
	add("rbac.authorization.k8s.io", "rolebindings", "create")       // ensureRBAC
	add("", "resourcequotas", "list")                                // Admit: what the namespace's quotas leave
	return ps
}()

// CheckNamespace reports, as a ValidationException that names what is
// missing, whether the namespace exists and sparkplane's identity holds the
// permissions it needs there (SelfSubjectAccessReview).
func (r *Runtime) CheckNamespace(ctx context.Context, ns string) error {
	c := r.opts.Client
	if _, err := c.CoreV1().Namespaces().Get(ctx, ns, metav1.GetOptions{}); err != nil {
		switch {
		case apierrors.IsNotFound(err):
			return emr.Validationf("Namespace %s does not exist in cluster %s; create it first (kubectl create namespace %s).", ns, r.opts.ClusterID, ns)
		case apierrors.IsForbidden(err):
			// Reading namespaces is not required; the access reviews below decide.
		default:
			return fmt.Errorf("get namespace %s: %w", ns, err)
		}
	}
	var missing []string
	for _, p := range required {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Group: p.group, Verb: p.verb, Resource: resourceOf(p.resource), Subresource: subresourceOf(p.resource)}}}
		out, err := c.AuthorizationV1().SelfSubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("review access to %s in %s: %w", p, ns, err)
		}
		if !out.Status.Allowed {
			missing = append(missing, p.String())
		}
	}
	if len(missing) > 0 {
		return emr.Validationf("sparkplane is not allowed to %s in namespace %s of cluster %s. Apply deploy/rbac/namespace-role.yaml to that namespace (see README), then retry.",
			strings.Join(missing, ", "), ns, r.opts.ClusterID)
	}
	return nil
}

func resourceOf(r string) string    { res, _, _ := strings.Cut(r, "/"); return res }
func subresourceOf(r string) string { _, sub, _ := strings.Cut(r, "/"); return sub }
