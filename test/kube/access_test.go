package kube

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/smithy-go"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
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

	applyManifest(t, ns, "../../deploy/rbac/namespace-role.yaml")
	vc := createVC(t, s.Client, ns)
	id := startPi(t, s.Client, vc, nil)
	waitState(t, s.Client, vc, id, types.JobRunStateSubmitted)
}

// applyManifest creates the Role and RoleBinding of a manifest in ns.
func applyManifest(t *testing.T, ns, path string) {
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
}

// asAPIError reports whether err is, or wraps, the modeled error T.
func asAPIError[T smithy.APIError](err error, target *T) bool {
	return err != nil && errors.As(err, target)
}
