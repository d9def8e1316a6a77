package devcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// The EMR on EKS tutorial's job: the example pi.py, two executors.
const (
	piEntryPoint = "local:///usr/lib/spark/examples/src/main/python/pi.py"
	piParams     = "--conf spark.executor.instances=2 --conf spark.executor.memory=1G --conf spark.executor.cores=1 --conf spark.driver.cores=1"
)

// aws runs `aws emr-containers <args>` (the AWS CLI v2) against the server
// and decodes its JSON output into out.
func awsCLI(t *testing.T, out any, args ...string) {
	t.Helper()
	cli := "/usr/bin/aws"
	if _, err := os.Stat(cli); err != nil {
		t.Fatal("the AWS CLI v2 is not installed at /usr/bin/aws; run scripts/setup.sh --test (make test does)")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, append([]string{"emr-containers", "--endpoint-url", srv.URL, "--output", "json"}, args...)...)
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=AKIDDEV", "AWS_SECRET_ACCESS_KEY=secret",
		"AWS_DEFAULT_REGION=us-east-1", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null", "AWS_PAGER=")
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("aws emr-containers %s: %v\n%s", args[0], err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(stdout.Bytes(), out); err != nil {
			t.Fatalf("aws %s: %v\n%s", args[0], err, stdout.String())
		}
	}
}

// devVC creates namespace ns on the embedded cluster and a virtual cluster
// on it with the AWS CLI (as with EMR, one per namespace).
func devVC(t *testing.T, ns string) string {
	t.Helper()
	createNamespace(t, ns)
	var vc struct{ ID string }
	awsCLI(t, &vc, "create-virtual-cluster", "--name", ns,
		"--container-provider", `{"id":"dev","type":"EKS","info":{"eksInfo":{"namespace":"`+ns+`"}}}`)
	return vc.ID
}

func createNamespace(tb testing.TB, ns string) {
	tb.Helper()
	_, err := kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{})
	if err != nil && !apierrors.IsAlreadyExists(err) {
		tb.Fatal(err)
	}
	// Pods are refused until the service-account controller made "default".
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(100 * time.Millisecond) {
		_, err := kube.CoreV1().ServiceAccounts(ns).Get(context.Background(), "default", metav1.GetOptions{})
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			tb.Fatalf("namespace %s has no default service account after a minute: %v", ns, err)
		}
	}
}

// startRun starts a job run on emr-7.2.0-latest with the AWS CLI and
// returns its id.
func startRun(t *testing.T, vc, name, entryPoint, params string) string {
	t.Helper()
	return startRunOn(t, "emr-7.2.0-latest", vc, name, entryPoint, params)
}

// startRunOn starts a job run on release with the AWS CLI and returns its id.
func startRunOn(t *testing.T, release, vc, name, entryPoint, params string) string {
	t.Helper()
	var run struct{ ID string }
	awsCLI(t, &run, "start-job-run", "--virtual-cluster-id", vc, "--name", name,
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job", "--release-label", release,
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+entryPoint+`","sparkSubmitParameters":"`+params+`"}}`)
	return run.ID
}

func sdk() *emrcontainers.Client {
	return emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), HTTPClient: sdkHTTP,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDDEV", "secret", "")})
}

// sdkHTTP is the connection pool every sdk() client shares, as one
// long-lived SDK client would: a client per call with a pool of its own
// would leave a connection idle on the server after each call (a thousand
// after BenchmarkTrackedRunsRSS's submissions, each with its buffers and
// goroutine, until the server's idle timeout).
var sdkHTTP = awshttp.NewBuildableClient().WithTransportOptions(func(t *http.Transport) { t.MaxIdleConnsPerHost = 32 })

// waitState polls the run until done says so, returning it.
func waitState(t *testing.T, vc, id string, timeout time.Duration, done func(types.JobRunState) bool) *types.JobRun {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := sdk().DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vc, Id: &id})
		if err == nil && done(out.JobRun.State) {
			return out.JobRun
		}
		if time.Now().After(deadline) {
			state := "?"
			if err == nil {
				state = string(out.JobRun.State) + " " + aws.ToString(out.JobRun.StateDetails)
			}
			t.Fatalf("run %s: still %s after %v (%v)", id, state, timeout, err)
		}
		time.Sleep(time.Second)
	}
}

func terminal(s types.JobRunState) bool {
	return s == types.JobRunStateCompleted || s == types.JobRunStateFailed || s == types.JobRunStateCancelled
}

// podWatch records every pod of a run the API server ever showed.
type podWatch struct {
	mu     sync.Mutex
	pods   map[string]*corev1.Pod // by UID, last version seen
	cancel context.CancelFunc
}

// watchRun follows the pods labelled with the run's id from now on
// (including those that already exist).
func watchRun(t *testing.T, ns, id string) *podWatch {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	w := &podWatch{pods: map[string]*corev1.Pod{}, cancel: cancel}
	t.Cleanup(cancel)
	sel := k8sruntime.LabelJobID + "=" + id
	go func() {
		for ctx.Err() == nil {
			wi, err := kube.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				time.Sleep(200 * time.Millisecond)
				continue
			}
			for ev := range wi.ResultChan() {
				if p, ok := ev.Object.(*corev1.Pod); ok && ev.Type != watch.Error {
					w.mu.Lock()
					w.pods[string(p.UID)] = p
					w.mu.Unlock()
				}
			}
		}
	}()
	return w
}

// byRole returns the pods seen with the spark-role label role (or the job
// runner for "job-runner").
func (w *podWatch) byRole(role string) []*corev1.Pod {
	w.mu.Lock()
	defer w.mu.Unlock()
	var out []*corev1.Pod
	for _, p := range w.pods {
		if p.Labels["spark-role"] == role || (role == "job-runner" && p.Labels["job-name"] != "") {
			out = append(out, p)
		}
	}
	return out
}

// livePods lists the pods of the run the API server still holds.
func livePods(t *testing.T, ns, id string) []string {
	t.Helper()
	list, err := kube.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{LabelSelector: k8sruntime.LabelJobID + "=" + id})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range list.Items {
		names = append(names, p.Name+"("+string(p.Status.Phase)+")")
	}
	return names
}

func runLog(t *testing.T, vc, id, stream string) string {
	t.Helper()
	out, err := sparkplane(time.Minute, "logs", "--endpoint-url", srv.URL, "--stream", stream, vc, id)
	if err != nil {
		return err.Error() + ": " + out
	}
	return strings.TrimSpace(out)
}
