package devcluster

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

const benchNamespace = "bench"

// BenchmarkPiOnDevCluster runs the tutorial's pi.py, in the same run and
// alternating: through sparkplane on the embedded cluster (StartJobRun →
// driver pod Running, and → COMPLETED), through sparkplane's local runtime
// (→ COMPLETED), and by hand with `spark-submit --master k8s://` against the
// embedded cluster (→ spark-submit returns once the driver succeeded).
// Medians are reported.
//
//	go test -run '^$' -bench PiOnDevCluster -benchtime 3x -timeout 60m ./test/devcluster/
func BenchmarkPiOnDevCluster(b *testing.B) {
	ctx := context.Background()
	createNamespace(b, benchNamespace)
	dev, local := benchVC(b, "dev"), benchVC(b, "local")
	submitter := handSubmitter(b)
	var toDriver, devDone, localDone, byHand []time.Duration
	for i := range b.N {
		t0 := time.Now()
		id := benchStart(b, dev)
		driverUp := waitDriverRunning(b, id)
		run := benchWait(b, dev, id)
		toDriver = append(toDriver, driverUp.Sub(t0))
		devDone = append(devDone, run.FinishedAt.Sub(*run.CreatedAt))

		id = benchStart(b, local)
		run = benchWait(b, local, id)
		localDone = append(localDone, run.FinishedAt.Sub(*run.CreatedAt))

		t0 = time.Now()
		if out, err := submitter(ctx, fmt.Sprintf("pi-by-hand-%d-%d", time.Now().Unix(), i)); err != nil {
			b.Fatalf("spark-submit --master k8s:// by hand: %v\n%s", err, out)
		}
		byHand = append(byHand, time.Since(t0))
	}
	b.ReportMetric(median(toDriver).Seconds(), "s-to-driver-running")
	b.ReportMetric(median(devDone).Seconds(), "s-dev-cluster")
	b.ReportMetric(median(localDone).Seconds(), "s-local-runtime")
	b.ReportMetric(median(byHand).Seconds(), "s-spark-submit-k8s-by-hand")
	b.Logf("dev %v, local %v, by hand %v, to driver Running %v", devDone, localDone, byHand, toDriver)
}

// benchVCs keeps the virtual clusters across the benchmark's rounds (the
// function runs once per b.N tried).
var benchVCs = map[string]string{}

func benchVC(b *testing.B, cluster string) string {
	if id, ok := benchVCs[cluster]; ok {
		return id
	}
	out, err := sdk().CreateVirtualCluster(context.Background(), &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String("bench-" + cluster), ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks,
			Id: aws.String(cluster), Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(benchNamespace)}}}})
	if err != nil {
		b.Fatal(err)
	}
	benchVCs[cluster] = *out.Id
	return *out.Id
}

func benchStart(b *testing.B, vc string) string {
	out, err := sdk().StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{VirtualClusterId: &vc, Name: aws.String("pi"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String(piEntryPoint), SparkSubmitParameters: aws.String(piParams)}}})
	if err != nil {
		b.Fatal(err)
	}
	return *out.Id
}

func benchWait(b *testing.B, vc, id string) *types.JobRun {
	for deadline := time.Now().Add(10 * time.Minute); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		out, err := sdk().DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vc, Id: &id})
		if err != nil {
			b.Fatal(err)
		}
		switch out.JobRun.State {
		case types.JobRunStateCompleted:
			return out.JobRun
		case types.JobRunStateFailed, types.JobRunStateCancelled:
			b.Fatalf("run %s ended %s: %s", id, out.JobRun.State, aws.ToString(out.JobRun.StateDetails))
		}
	}
	b.Fatalf("run %s not done after 10 minutes", id)
	return nil
}

// waitDriverRunning returns when the run's driver pod was first seen Running.
func waitDriverRunning(b *testing.B, id string) time.Time {
	sel := "spark-role=driver,emr-containers.amazonaws.com/job.id=" + id
	for deadline := time.Now().Add(5 * time.Minute); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		list, err := kube.CoreV1().Pods(benchNamespace).List(context.Background(), metav1.ListOptions{LabelSelector: sel})
		if err != nil {
			b.Fatal(err)
		}
		for _, p := range list.Items {
			if p.Status.Phase != corev1.PodPending {
				return time.Now()
			}
		}
	}
	b.Fatalf("driver of %s not Running after 5 minutes", id)
	return time.Time{}
}

// handSubmitter prepares what spark-submit in cluster mode needs by hand (a
// service account allowed to manage pods) and returns a function that runs
// pi.py with it and waits for completion.
func handSubmitter(b *testing.B) func(ctx context.Context, name string) (string, error) {
	ctx := context.Background()
	sa := &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: "spark-by-hand", Namespace: benchNamespace}}
	if _, err := kube.CoreV1().ServiceAccounts(benchNamespace).Create(ctx, sa, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		b.Fatal(err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: "spark-by-hand", Namespace: benchNamespace},
		RoleRef:  rbacv1.RoleRef{APIGroup: "rbac.authorization.k8s.io", Kind: "ClusterRole", Name: "edit"},
		Subjects: []rbacv1.Subject{{Kind: "ServiceAccount", Name: sa.Name, Namespace: benchNamespace}}}
	if _, err := kube.RbacV1().RoleBindings(benchNamespace).Create(ctx, rb, metav1.CreateOptions{}); err != nil && !strings.Contains(err.Error(), "already exists") {
		b.Fatal(err)
	}
	st, _, err := layout.ReadState()
	if err != nil {
		b.Fatal(err)
	}
	dist, err := sparkdist.Find("", config.ReadEnv())
	if err != nil {
		b.Fatal(err)
	}
	token, caFile := adminCredentials(b)
	return func(ctx context.Context, name string) (string, error) {
		cmd := exec.CommandContext(ctx, dist.SparkSubmit(), "--master", "k8s://"+st.APIServer, "--deploy-mode", "cluster", "--name", name,
			"--conf", "spark.kubernetes.container.image=apache/spark:3.5.7-java17-python3",
			"--conf", "spark.kubernetes.namespace="+benchNamespace,
			"--conf", "spark.kubernetes.authenticate.driver.serviceAccountName="+sa.Name,
			"--conf", "spark.kubernetes.authenticate.submission.oauthToken="+token,
			"--conf", "spark.kubernetes.authenticate.submission.caCertFile="+caFile,
			"--conf", "spark.kubernetes.driver.request.cores=250m", "--conf", "spark.kubernetes.executor.request.cores=250m",
			"--conf", "spark.executor.instances=2", "--conf", "spark.executor.memory=1G", "--conf", "spark.executor.cores=1",
			"--conf", "spark.driver.cores=1", "local:///opt/spark/examples/src/main/python/pi.py")
		cmd.Env = dist.Env(os.Environ())
		out, err := cmd.CombinedOutput()
		if err == nil && !strings.Contains(string(out), "termination reason: Completed") && !strings.Contains(string(out), "exit code: 0") {
			err = fmt.Errorf("the driver did not complete")
		}
		return string(out), err
	}
}

// adminCredentials reads the token and CA of the cluster's kubeconfig.
func adminCredentials(b *testing.B) (token, caFile string) {
	st, _, err := layout.ReadState()
	if err != nil {
		b.Fatal(err)
	}
	data, err := os.ReadFile(st.Kubeconfig)
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(string(data), "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "token: "); ok {
			token = v
		}
	}
	return token, layout.ControlPlaneDir() + "/ca.crt"
}

// BenchmarkAgentPodStarts creates pods at once (a trivial container each)
// and measures how fast the node agent brings them all to Running: bound,
// IP assigned, volumes (service-account token) written, process started,
// status reported.
//
//	go test -run '^$' -bench AgentPodStarts -benchtime 3x ./test/devcluster/
func BenchmarkAgentPodStarts(b *testing.B) {
	const pods = 50
	ctx := context.Background()
	createNamespace(b, benchNamespace)
	var rates []float64
	for i := range b.N {
		label := fmt.Sprintf("bench-%d-%d", time.Now().UnixNano(), i)
		t0 := time.Now()
		for j := range pods {
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("%s-%d", label, j), Namespace: benchNamespace, Labels: map[string]string{"bench": label}},
				Spec: corev1.PodSpec{RestartPolicy: corev1.RestartPolicyNever, Containers: []corev1.Container{{
					Name: "c", Image: "busybox", Command: []string{"sh", "-c", "sleep 600"},
					Resources: corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("10m")}}}}}}
			if _, err := kube.CoreV1().Pods(benchNamespace).Create(ctx, p, metav1.CreateOptions{}); err != nil {
				b.Fatal(err)
			}
		}
		created := time.Since(t0)
		for {
			list, err := kube.CoreV1().Pods(benchNamespace).List(ctx, metav1.ListOptions{LabelSelector: "bench=" + label})
			if err != nil {
				b.Fatal(err)
			}
			running := 0
			for _, p := range list.Items {
				if p.Status.Phase == corev1.PodRunning {
					running++
				}
			}
			if running == pods {
				break
			}
			if time.Since(t0) > 5*time.Minute {
				b.Fatalf("%d of %d pods Running after 5 minutes", running, pods)
			}
			time.Sleep(20 * time.Millisecond)
		}
		rates = append(rates, pods/time.Since(t0).Seconds())
		b.Logf("%d pods created in %v, all Running after %v", pods, created.Round(time.Millisecond), time.Since(t0).Round(time.Millisecond))
		b.StopTimer() // each round starts on an empty node
		zero := int64(0)
		sel := metav1.ListOptions{LabelSelector: "bench=" + label}
		if err := kube.CoreV1().Pods(benchNamespace).DeleteCollection(ctx, metav1.DeleteOptions{GracePeriodSeconds: &zero}, sel); err != nil {
			b.Fatal(err)
		}
		for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
			list, err := kube.CoreV1().Pods(benchNamespace).List(ctx, sel)
			if err != nil {
				b.Fatal(err)
			}
			if len(list.Items) == 0 {
				break
			}
			if time.Now().After(deadline) {
				b.Fatalf("%d pods still there 2 minutes after their deletion", len(list.Items))
			}
		}
		b.StartTimer()
	}
	slices.Sort(rates)
	b.ReportMetric(rates[len(rates)/2], "pods/s")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
