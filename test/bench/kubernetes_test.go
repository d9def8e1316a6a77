package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/clientcmd"

	"github.com/sparkplane/sparkplane/internal/app"
	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/testenv/kubeenv"
)

// BenchmarkKubernetesSubmit submits `runs` job runs at once (500 in flight)
// to a virtual cluster on a real kube-apiserver + etcd, and measures
// StartJobRun → job runner Job created (seen by a watch), the sustained
// rate, and the server's heap with every run tracked. There is no kubelet
// and no kube-controller-manager: the measurement is sparkplane's path up to
// the Job, as EMR's "job runs submitted per minute" is.
func BenchmarkKubernetesSubmit(b *testing.B) {
	for _, runs := range benchRuns {
		b.Run(fmt.Sprintf("runs=%d", runs), func(b *testing.B) { benchKubernetesSubmit(b, runs) })
	}
}

func benchKubernetesSubmit(b *testing.B, runs int) {
	ctx := context.Background()
	env, err := kubeenv.Start(ctx, kubeenv.Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer env.Stop()
	rc, err := clientcmd.BuildConfigFromFlags("", env.KubeconfigPath)
	if err != nil {
		b.Fatal(err)
	}
	rc.QPS, rc.Burst = 1000, 1000
	kube, err := kubernetes.NewForConfig(rc)
	if err != nil {
		b.Fatal(err)
	}
	ns := "bench"
	if _, err := kube.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		b.Fatal(err)
	}

	cfg := config.Default()
	cfg.Addr, cfg.DataDir = "127.0.0.1:0", b.TempDir()
	cfg.Clusters = []config.KubernetesCluster{{ID: "dev", Kubeconfig: env.KubeconfigPath}}
	sctx, cancel := context.WithCancel(ctx)
	defer cancel()
	a, err := app.Open(sctx, cfg, slog.New(slog.NewTextHandler(benchLog, nil)))
	if err != nil {
		b.Fatal(err)
	}
	go a.Run(sctx) //nolint:errcheck // ends with sctx
	c := emrcontainers.New(emrcontainers.Options{Region: "us-east-1", BaseEndpoint: aws.String(a.URL()),
		Credentials: credentials.NewStaticCredentialsProvider("a", "b", "")})
	vc, err := c.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{Name: aws.String("bench"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("dev"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String(ns)}}}})
	if err != nil {
		b.Fatal(err)
	}

	// An informer, not a bare watch: right after start-up the API server's
	// watch cache may answer "too large resource version", which an
	// informer retries.
	var mu sync.Mutex
	created := map[string]time.Time{}
	allSeen := make(chan struct{})
	factory := informers.NewSharedInformerFactoryWithOptions(kube, 0, informers.WithNamespace(ns))
	_, err = factory.Batch().V1().Jobs().Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: func(obj any) {
		job := obj.(metav1.Object)
		mu.Lock()
		defer mu.Unlock()
		created[job.GetName()] = time.Now()
		if len(created) == runs {
			close(allSeen)
		}
	}})
	if err != nil {
		b.Fatal(err)
	}
	stop := make(chan struct{})
	defer close(stop)
	factory.Start(stop)
	factory.WaitForCacheSync(stop)

	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	started := make(map[string]time.Time, runs)
	b.ResetTimer()
	begin := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, 32) // client concurrency
	for range runs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			t0 := time.Now()
			out, err := c.StartJobRun(ctx, &emrcontainers.StartJobRunInput{VirtualClusterId: vc.Id, Name: aws.String("pi"),
				ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
				JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
					EntryPoint:            aws.String("local:///usr/lib/spark/examples/src/main/python/pi.py"),
					SparkSubmitParameters: aws.String("--conf spark.executor.instances=2")}}})
			if err != nil {
				b.Error(err)
				return
			}
			mu.Lock()
			started[aws.ToString(out.Id)] = t0
			mu.Unlock()
		}()
	}
	wg.Wait()
	select {
	case <-allSeen:
	case <-time.After(5 * time.Minute):
		mu.Lock()
		defer mu.Unlock()
		b.Fatalf("only %d of %d Jobs created", len(created), runs)
	}
	b.StopTimer()

	mu.Lock()
	var lat []time.Duration
	var last time.Time
	for id, t0 := range started {
		lat = append(lat, created[id].Sub(t0))
		if created[id].After(last) {
			last = created[id]
		}
	}
	mu.Unlock()
	slices.Sort(lat)
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(runs)/last.Sub(begin).Minutes(), "runs/min")
	b.ReportMetric(ms(lat[len(lat)/2]), "p50-ms")
	b.ReportMetric(ms(lat[len(lat)*99/100]), "p99-ms")
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/(1<<20), "heap-MiB-tracked")
	b.ReportMetric(0, "ns/op")
}

// benchRuns are the numbers of runs submitted at once.
var benchRuns = []int{50, 500, 1000}

// benchLog receives the server's log; os.Stderr when debugging.
var benchLog io.Writer = io.Discard
