package kube

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/yaml"

	"github.com/sparkplane/sparkplane/internal/ack"
	"github.com/sparkplane/sparkplane/internal/buildscript"
	"github.com/sparkplane/sparkplane/internal/config"
)

// ackAccess is the access file of TestACKReconcilerCallsAsItsPrincipal:
// the reconciler's principal may start runs tagged team=a only.
const ackAccess = `
users:
  - name: admin
    accessKeys: [{id: AKIAADMIN0000000001, secret: admin-secret-0000000000000000000000000}]
    policies: [everything]
  - name: ack-operator
    accessKeys: [{id: AKIAACKOPERATOR00001, secret: ack-secret-00000000000000000000000000}]
    policies: [operator]
policies:
  everything: {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["emr-containers:*", "iam:PassRole"], "Resource": "*"}]}
  operator:
    Version: "2012-10-17"
    Statement:
      - {Effect: Allow, Action: ["emr-containers:CreateVirtualCluster", "emr-containers:DeleteVirtualCluster", "emr-containers:Describe*",
                                 "emr-containers:CancelJobRun", "emr-containers:TagResource", "iam:PassRole"], Resource: "*"}
      - {Effect: Allow, Action: "emr-containers:StartJobRun", Resource: "*", Condition: {StringEquals: {"aws:RequestTag/team": a}}}
`

// TestACKReconcilerCallsAsItsPrincipal: with an access file, the
// reconciler's calls are signed as ack.accessKeyId and authorized against
// its policies (a JobRun they refuse is ACK.Recoverable with the
// AccessDeniedException, one they allow starts a run created by that
// user); a JobRun whose status write was lost gets the same run from the
// next server (the client token is its UID); deleting a JobRun cancels
// its run.
func TestACKReconcilerCallsAsItsPrincipal(t *testing.T) {
	applyACKDefinitions(t)
	ns := namespace(t)
	access := filepath.Join(t.TempDir(), "access.yaml")
	writeFile0600(t, access, ackAccess)
	dataDir := t.TempDir()
	withACK := func(c *config.Config) {
		c.Security.Access = access
		c.Security.ExecutionRoles = []config.ExecutionRole{{ARN: role}}
		c.ACK = config.ACK{Enabled: true, Cluster: clusterID, Namespaces: []string{ns}, AccessKeyID: "AKIAACKOPERATOR00001"}
	}
	s := startACKServer(t, dataDir, withACK)
	admin := clientAs(s.URL, "AKIAADMIN0000000001", "admin-secret-0000000000000000000000000")
	dyn := dynamicClient(t)
	ctx := context.Background()

	create(t, dyn, ack.VirtualClusterResource, ns, `
apiVersion: emrcontainers.services.k8s.aws/v1alpha1
kind: VirtualCluster
metadata: {name: vc}
spec:
  name: vc
  containerProvider: {id: dev, type_: EKS, info: {eksInfo: {namespace: `+ns+`}}}
`)
	vc := waitACK(t, dyn, ack.VirtualClusterResource, ns, "vc", func(st map[string]any) bool { return st["id"] != nil })
	vcID := vc["id"].(string)

	jobRun := func(name, tags string) string {
		return `
apiVersion: emrcontainers.services.k8s.aws/v1alpha1
kind: JobRun
metadata: {name: ` + name + `}
spec:
  name: ` + name + `
  virtualClusterRef: {from: {name: vc}}
  executionRoleARN: ` + role + `
  releaseLabel: emr-7.2.0-latest
  jobDriver: {sparkSubmitJobDriver: {entryPoint: "local:///usr/lib/spark/examples/src/main/python/pi.py"}}
  tags: ` + tags + `
`
	}
	create(t, dyn, ack.JobRunResource, ns, jobRun("untagged", "{}"))
	denied := waitACK(t, dyn, ack.JobRunResource, ns, "untagged", func(st map[string]any) bool { return condition(st, ack.ConditionRecoverable) != "" })
	if msg := condition(denied, ack.ConditionRecoverable); !strings.Contains(msg, "AccessDeniedException") || !strings.Contains(msg, "user/ack-operator") || denied["id"] != nil {
		t.Errorf("untagged JobRun: %v (message %q)", denied, msg)
	}

	create(t, dyn, ack.JobRunResource, ns, jobRun("tagged", "{team: a}"))
	started := waitACK(t, dyn, ack.JobRunResource, ns, "tagged", func(st map[string]any) bool { return st["state"] != nil })
	id := started["id"].(string)
	run, err := admin.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vcID, Id: &id})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(run.JobRun.CreatedBy) != "arn:aws:iam::123456789012:user/ack-operator" {
		t.Errorf("run created by %s; want the reconciler's principal", aws.ToString(run.JobRun.CreatedBy))
	}

	// The status write is lost (as if the server died right after
	// StartJobRun): the next server asks again and gets the same run.
	s.Stop()
	u, err := dyn.Resource(ack.JobRunResource).Namespace(ns).Get(ctx, "tagged", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	delete(u.Object, "status")
	if _, err := dyn.Resource(ack.JobRunResource).Namespace(ns).UpdateStatus(ctx, u, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	s = startACKServer(t, dataDir, withACK)
	admin = clientAs(s.URL, "AKIAADMIN0000000001", "admin-secret-0000000000000000000000000")
	again := waitACK(t, dyn, ack.JobRunResource, ns, "tagged", func(st map[string]any) bool { return st["id"] != nil })
	if again["id"] != id {
		t.Errorf("after the lost status write the JobRun names run %v; want %s", again["id"], id)
	}
	list, err := admin.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: &vcID, Name: aws.String("tagged")})
	if err != nil {
		t.Fatal(err)
	}
	if len(list.JobRuns) != 1 {
		t.Errorf("%d runs named tagged; want 1", len(list.JobRuns))
	}

	// Deleting the JobRun cancels its run; the object goes once it did.
	if err := dyn.Resource(ack.JobRunResource).Namespace(ns).Delete(ctx, "tagged", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the deleted JobRun is gone", func() error {
		_, err := dyn.Resource(ack.JobRunResource).Namespace(ns).Get(ctx, "tagged", metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			return nil
		}
		return errString("still there")
	})
	eventually(t, "the run is cancelled", func() error {
		out, err := admin.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vcID, Id: &id})
		if err != nil {
			return err
		}
		if out.JobRun.State != types.JobRunStateCancelled {
			return errString(string(out.JobRun.State))
		}
		return nil
	})
}

type errString string

func (e errString) Error() string { return string(e) }

// applyACKDefinitions installs deploy/ack with a plain `kubectl apply`.
func applyACKDefinitions(t *testing.T) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dir, err := buildscript.Run(ctx, "scripts/kube-binaries.sh")
	if err != nil {
		t.Fatal(err)
	}
	kubectl := filepath.Join(dir, "kubectl")
	for _, args := range [][]string{
		{"apply", "-f", filepath.Join("..", "..", "deploy", "ack", "crds.yaml")},
		{"wait", "--for=condition=Established", "--timeout=60s", "crd/jobruns.emrcontainers.services.k8s.aws", "crd/virtualclusters.emrcontainers.services.k8s.aws"},
	} {
		out, err := exec.CommandContext(ctx, kubectl, append([]string{"--kubeconfig", env.KubeconfigPath}, args...)...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
}

func dynamicClient(t *testing.T) dynamic.Interface {
	t.Helper()
	rc, err := clientcmd.BuildConfigFromFlags("", env.KubeconfigPath)
	if err != nil {
		t.Fatal(err)
	}
	d, err := dynamic.NewForConfig(rc)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func create(t *testing.T, dyn dynamic.Interface, res ackResource, ns, manifest string) {
	t.Helper()
	var u unstructured.Unstructured
	if err := yaml.Unmarshal([]byte(manifest), &u.Object); err != nil {
		t.Fatal(err)
	}
	if _, err := dyn.Resource(res).Namespace(ns).Create(context.Background(), &u, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
}

// waitACK waits until done accepts the status of the resource.
func waitACK(t *testing.T, dyn dynamic.Interface, res ackResource, ns, name string, done func(map[string]any) bool) map[string]any {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		u, err := dyn.Resource(res).Namespace(ns).Get(context.Background(), name, metav1.GetOptions{})
		var st map[string]any
		if err == nil {
			st, _, _ = unstructured.NestedMap(u.Object, "status")
			if done(st) {
				return st
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s/%s: status %v after a minute (%v)", res.Resource, ns, name, st, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// condition is the message of the condition of type typ that is True
// ("" when there is none; "True" when it has no message).
func condition(st map[string]any, typ string) string {
	cs, _, _ := unstructured.NestedSlice(st, "conditions")
	for _, c := range cs {
		m, _ := c.(map[string]any)
		if m["type"] == typ && m["status"] == "True" {
			if msg, ok := m["message"].(string); ok {
				return msg
			}
			return "True"
		}
	}
	return ""
}

// startACKServer is startServer with the whole configuration edited by f.
func startACKServer(t *testing.T, dataDir string, f func(*config.Config)) *server {
	t.Helper()
	cfg := config.Default()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", dataDir
	cfg.Clusters = []config.KubernetesCluster{{ID: clusterID, Kubeconfig: env.KubeconfigPath, Admission: config.AdmissionQuota}} // as startServer
	f(&cfg)
	return runServer(t, cfg)
}

type ackResource = schema.GroupVersionResource

func clientAs(url, akid, secret string) *emrcontainers.Client {
	return emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(url),
		Credentials: credentials.NewStaticCredentialsProvider(akid, secret, "")})
}

// writeFile0600 writes a file only its owner reads (an access file).
func writeFile0600(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
}
