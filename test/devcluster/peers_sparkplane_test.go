package devcluster

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// sparkplanePeer runs pi.py as job runs through the shared sparkplane
// server (a process of its own, bin/sparkplane) in one submission mode,
// selected per run with the sparkplane classification's submissionMode.
type sparkplanePeer struct {
	mode string // peerJobRunner or peerNative
	ns   string
	vc   string
}

func (p *sparkplanePeer) name() string      { return p.mode }
func (p *sparkplanePeer) namespace() string { return p.ns }
func (p *sparkplanePeer) pid() int          { return srv.cmd.Process.Pid }
func (p *sparkplanePeer) close()            {}

// prepare creates the namespace and a virtual cluster on it.
func (p *sparkplanePeer) prepare(b *testing.B) {
	createNamespace(b, p.ns)
	out, err := sdk().CreateVirtualCluster(context.Background(), &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String("peers-" + p.mode), ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks,
			Id: aws.String("dev"), Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(p.ns)}}}})
	if err != nil {
		b.Fatal(err)
	}
	p.vc = aws.ToString(out.Id)
}

func (p *sparkplanePeer) submit(ctx context.Context, name, cpu string) (string, error) {
	params := "--conf spark.executor.instances=1 --conf spark.kubernetes.driver.request.cores=" + cpu +
		" --conf spark.kubernetes.executor.request.cores=" + cpu
	out, err := sdk().StartJobRun(ctx, &emrcontainers.StartJobRunInput{VirtualClusterId: &p.vc, Name: aws.String(name),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String(peerRelease),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String(piEntryPoint), SparkSubmitParameters: aws.String(params)}},
		ConfigurationOverrides: &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{{
			Classification: aws.String("sparkplane"), Properties: map[string]string{"submissionMode": p.mode}}}}})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Id), nil
}

func (p *sparkplanePeer) driverKey(pod *corev1.Pod) string { return pod.Labels[k8sruntime.LabelJobID] }

func (p *sparkplanePeer) isSubmitterPod(pod *corev1.Pod) bool {
	return pod.Labels[k8sruntime.LabelComponent] == k8sruntime.ComponentSubmitter
}

// states lists the virtual cluster's runs created since the scenario began.
func (p *sparkplanePeer) states(ctx context.Context, keys map[string]bool) (map[string]peerOutcome, error) {
	out := map[string]peerOutcome{}
	pages := emrcontainers.NewListJobRunsPaginator(sdk(), &emrcontainers.ListJobRunsInput{VirtualClusterId: &p.vc,
		CreatedAfter: aws.Time(time.Now().Add(-peerMaxScenario - time.Hour)), MaxResults: aws.Int32(50)})
	for pages.HasMorePages() {
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, r := range page.JobRuns {
			id := aws.ToString(r.Id)
			if !keys[id] {
				continue
			}
			switch r.State {
			case types.JobRunStateCompleted:
				out[id] = peerOutcome{done: true, ok: true}
			case types.JobRunStateFailed, types.JobRunStateCancelled:
				out[id] = peerOutcome{done: true, detail: string(r.State) + ": " + aws.ToString(r.StateDetails)}
			default:
				out[id] = peerOutcome{detail: string(r.State)}
			}
		}
	}
	return out, nil
}

// abandon cancels the runs still going and waits until they are CANCELLED.
func (p *sparkplanePeer) abandon(ctx context.Context, ids []string) error {
	for _, id := range ids {
		_, err := sdk().CancelJobRun(ctx, &emrcontainers.CancelJobRunInput{VirtualClusterId: &p.vc, Id: aws.String(id)})
		if err != nil && !strings.Contains(err.Error(), "ValidationException") { // already terminal
			return fmt.Errorf("cancel %s: %w", id, err)
		}
	}
	keys := map[string]bool{}
	for _, id := range ids {
		keys[id] = true
	}
	for deadline := time.Now().Add(3 * time.Minute); time.Now().Before(deadline); time.Sleep(time.Second) {
		st, err := p.states(ctx, keys)
		if err != nil {
			return err
		}
		left := 0
		for _, id := range ids {
			if !st[id].done {
				left++
			}
		}
		if left == 0 {
			return nil
		}
	}
	return fmt.Errorf("runs not CANCELLED 3 minutes after CancelJobRun")
}

// grantEdit makes service account sa in ns and binds it to the "edit"
// cluster role (pods, services, ConfigMaps: what a Spark driver manages).
func grantEdit(b *testing.B, ns, sa string) {
	ctx := context.Background()
	acct := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: sa, Namespace: ns}}
	if _, err := kube.CoreV1().ServiceAccounts(ns).Create(ctx, acct, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: sa + "-edit", Namespace: ns},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "edit"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa, Namespace: ns}}}
	if _, err := kube.RbacV1().RoleBindings(ns).Create(ctx, rb, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
		b.Fatal(err)
	}
}
