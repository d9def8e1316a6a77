package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/smithy-go"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"
)

func TestCreateVirtualClusterChecksTheNamespace(t *testing.T) {
	s := startServer(t, "", "")
	_, err := s.Client.CreateVirtualCluster(context.Background(), &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String("nope"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String(clusterID),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("no-such-namespace")}}},
	})
	var ve *types.ValidationException
	if !asAPIError(err, &ve) || !strings.Contains(err.Error(), "does not exist") {
		t.Fatalf("missing namespace: %v", err)
	}
}

// TestCreateVirtualClusterChecksPermissions runs sparkplane as a service
// account with no rights: CreateVirtualCluster names what is missing; once
// the shipped Role is applied, it succeeds and runs start.
func TestCreateVirtualClusterChecksPermissions(t *testing.T) {
	ns := namespace(t)
	ctx := context.Background()
	// sparkplane's identity: service account sparkplane/sparkplane, as in the manifest.
	if _, err := kube.CoreV1().Namespaces().Get(ctx, "sparkplane", metav1.GetOptions{}); err != nil {
		if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "sparkplane"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
		if _, err := kube.CoreV1().ServiceAccounts("sparkplane").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "sparkplane"}}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tok, err := kube.CoreV1().ServiceAccounts("sparkplane").CreateToken(ctx, "sparkplane", &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	kc, err := clientcmd.LoadFromFile(env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range kc.AuthInfos {
		ai.Token = tok.Status.Token
	}
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatal(err)
	}
	s := startServer(t, "", path)

	in := &emrcontainers.CreateVirtualClusterInput{Name: aws.String("rbac"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String(clusterID),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(ns)}}}}
	_, err = s.Client.CreateVirtualCluster(ctx, in)
	var ve *types.ValidationException
	if !asAPIError(err, &ve) || !strings.Contains(err.Error(), "create batch/jobs") || !strings.Contains(err.Error(), "namespace-role.yaml") {
		t.Fatalf("without permissions: %v", err)
	}

	shipped := applyManifest(t, ns, "../../deploy/rbac/namespace-role.yaml")
	waitAllowed(t, ns, "system:serviceaccount:sparkplane:sparkplane", shipped)
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
}

// applyManifest creates the Role and RoleBinding of a manifest in ns and
// returns the Role.
func applyManifest(t *testing.T, ns, path string) rbacv1.Role {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	docs := strings.Split(string(b), "\n---\n")
	var role rbacv1.Role
	var binding rbacv1.RoleBinding
	if len(docs) != 2 || yaml.Unmarshal([]byte(docs[0]), &role) != nil || yaml.Unmarshal([]byte(docs[1]), &binding) != nil {
		t.Fatalf("%s: want a Role and a RoleBinding", path)
	}
	ctx := context.Background()
	if _, err := kube.RbacV1().Roles(ns).Create(ctx, &role, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := kube.RbacV1().RoleBindings(ns).Create(ctx, &binding, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	return role
}

// waitAllowed waits until the API server's RBAC authorizer, which learns of
// new Roles and RoleBindings through its informers, allows user every rule of
// role in ns: until then a client that just applied them can still be refused.
func waitAllowed(t *testing.T, ns, user string, role rbacv1.Role) {
	t.Helper()
	ctx := context.Background()
	for _, rule := range role.Rules {
		for _, group := range rule.APIGroups {
			for _, resource := range rule.Resources {
				for _, verb := range rule.Verbs {
					attrs := &authorizationv1.ResourceAttributes{Namespace: ns, Group: group, Verb: verb}
					attrs.Resource, attrs.Subresource, _ = strings.Cut(resource, "/")
					review := &authorizationv1.SubjectAccessReview{Spec: authorizationv1.SubjectAccessReviewSpec{User: user, ResourceAttributes: attrs}}
					err := wait.PollUntilContextTimeout(ctx, 50*time.Millisecond, 30*time.Second, true, func(ctx context.Context) (bool, error) {
						got, err := kube.AuthorizationV1().SubjectAccessReviews().Create(ctx, review, metav1.CreateOptions{})
						return err == nil && got.Status.Allowed, nil
					})
					if err != nil {
						t.Fatalf("%s still may not %s %s in %s: %v", user, verb, resource, ns, err)
					}
				}
			}
		}
	}
}

// asAPIError reports whether err is, or wraps, the modeled error T.
func asAPIError[T smithy.APIError](err error, target *T) bool {
	return err != nil && errors.As(err, target)
}
