package kube

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/kubeenv"
)

// env is the control plane every test shares; kube is an admin client of it.
var (
	env  *kubeenv.Env
	kube kubernetes.Interface
)

func TestMain(m *testing.M) {
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	var err error
	env, err = kubeenv.Start(ctx, kubeenv.Options{ControllerManager: true})
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, "start kube-apiserver:", err)
		os.Exit(1)
	}
	rc, err := clientcmd.BuildConfigFromFlags("", env.KubeconfigPath)
	if err == nil {
		kube, err = kubernetes.NewForConfig(rc)
	}
	if err != nil {
		env.Stop()
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	env.Stop()
	os.Exit(code)
}

// clusterID is the id the shared control plane is registered under.
const clusterID = "dev"

// server is a sparkplane server registered with the shared control plane.
type server struct {
	URL     string
	DataDir string
	Client  *emrcontainers.Client
	stop    func()
}

// startServer runs a server whose cluster "dev" is the shared control plane,
// reached with kubeconfig (the admin's when empty).
func startServer(t *testing.T, dataDir, kubeconfig string, cfgs ...func(*config.KubernetesCluster)) *server {
	t.Helper()
	if dataDir == "" {
		dataDir = t.TempDir()
	}
	if kubeconfig == "" {
		kubeconfig = env.KubeconfigPath
	}
	cfg := config.Default()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", dataDir
	// No kubelet runs here: the nodes tests create are never Ready, and a
	// run admitted by the nodes' room would wait for them for ever. Runs
	// are admitted by quotas, as on a cluster that adds nodes on demand
	// (admit_test.go checks the nodes' room with a runtime of its own).
	k := config.KubernetesCluster{ID: clusterID, Kubeconfig: kubeconfig, Admission: config.AdmissionQuota}
	for _, f := range cfgs {
		f(&k)
	}
	cfg.Clusters = []config.KubernetesCluster{k}
	return runServer(t, cfg)
}

// runServer runs a server of cfg until the test ends, logging to t.
func runServer(t *testing.T, cfg config.Config) *server {
	t.Helper()
	var closed atomic.Bool
	log := slog.New(slog.NewTextHandler(writerFunc(func(p []byte) (int, error) {
		if !closed.Load() {
			t.Log(strings.TrimRight(string(p), "\n"))
		}
		return len(p), nil
	}), nil))
	ctx, cancel := context.WithCancel(context.Background())
	a, err := app.Open(ctx, cfg, log)
	if err != nil {
		cancel()
		t.Fatalf("open server: %v", err)
	}
	done := make(chan struct{})
	go func() { defer close(done); _ = a.Run(ctx) }()
	s := &server{URL: a.URL(), DataDir: cfg.DataDir, Client: emrcontainers.New(emrcontainers.Options{
		Region: "us-east-1", BaseEndpoint: aws.String(a.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("AKID", "secret", "")})}
	var stopped atomic.Bool
	s.stop = func() {
		if stopped.Swap(true) {
			return
		}
		cancel()
		<-done
		closed.Store(true)
	}
	t.Cleanup(s.stop)
	return s
}

func (s *server) Stop() { s.stop() }

type writerFunc func([]byte) (int, error)

func (f writerFunc) Write(p []byte) (int, error) { return f(p) }

var _ io.Writer = writerFunc(nil)

// namespace creates a fresh namespace for one test.
func namespace(t *testing.T) string {
	t.Helper()
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	if len(name) > 50 {
		name = name[:50]
	}
	name = strings.Trim(name, "-") + "-" + fmt.Sprint(time.Now().UnixNano()%100000)
	_, err := kube.CoreV1().Namespaces().Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return name
}

func createVC(t *testing.T, c *emrcontainers.Client, ns string) string {
	t.Helper()
	out, err := c.CreateVirtualCluster(context.Background(), &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String(ns),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String(clusterID),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(ns)}}},
	})
	if err != nil {
		t.Fatalf("CreateVirtualCluster: %v", err)
	}
	return aws.ToString(out.Id)
}

const role = "arn:aws:iam::123456789012:role/EMRJobRole"

func startPi(t *testing.T, c *emrcontainers.Client, vc string, overrides *types.ConfigurationOverrides) string {
	t.Helper()
	out, err := c.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vc), Name: aws.String("pi"),
		ExecutionRoleArn: aws.String(role), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String("local:///usr/lib/spark/examples/src/main/python/pi.py"),
			EntryPointArguments:   []string{"10"},
			SparkSubmitParameters: aws.String("--conf spark.executor.instances=2 --conf spark.executor.memory=2G --conf spark.executor.cores=1 --conf spark.driver.cores=1"),
		}},
		ConfigurationOverrides: overrides,
	})
	if err != nil {
		t.Fatalf("StartJobRun: %v", err)
	}
	return aws.ToString(out.Id)
}

// waitState waits for the run to reach want and returns it.
func waitState(t *testing.T, c *emrcontainers.Client, vc, id string, want types.JobRunState) *types.JobRun {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		out, err := c.DescribeJobRun(context.Background(), &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vc), Id: aws.String(id)})
		if err != nil {
			t.Fatalf("DescribeJobRun: %v", err)
		}
		if out.JobRun.State == want {
			return out.JobRun
		}
		if time.Now().After(deadline) {
			t.Fatalf("run %s is %s (%s), want %s", id, out.JobRun.State, aws.ToString(out.JobRun.StateDetails), want)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// eventually retries f until it returns nil or the time is up.
func eventually(t *testing.T, what string, f func() error) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		err := f()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: %v", what, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func dataFile(dir string, parts ...string) string {
	return filepath.Join(append([]string{dir, "runs"}, parts...)...)
}
