package devcluster

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/config"
)

// logBenchExecutors is how many executors the log-upload benchmark's run
// has: as many as the embedded cluster's one node (2 CPUs, 24 GiB) holds
// with tiny requests (10m CPU and 450m + 64m memory each, beside the
// driver's and the job runner's): 50 would need 25 GiB.
const logBenchExecutors = 40

// BenchmarkLogUploadDelay runs pi.py with logBenchExecutors executors on
// the embedded cluster, alternately with s3MonitoringConfiguration (every
// container's log shipped to the dev S3 bucket) and without, and reports
// the median time from the driver pod's end (seen Succeeded) to the run
// being COMPLETED, for each.
//
//	go test -run '^$' -bench LogUploadDelay -benchtime 3x -timeout 60m ./test/devcluster/
func BenchmarkLogUploadDelay(b *testing.B) {
	createNamespace(b, benchNamespace)
	vc := benchVC(b, "dev")
	params := "--conf spark.executor.instances=" + strconv.Itoa(logBenchExecutors) +
		" --conf spark.executor.memory=450m --conf spark.executor.memoryOverhead=64m --conf spark.executor.cores=1" +
		" --conf spark.kubernetes.executor.request.cores=10m --conf spark.driver.memory=512m --conf spark.kubernetes.driver.request.cores=100m" +
		" --conf spark.kubernetes.allocation.batch.size=" + strconv.Itoa(logBenchExecutors)
	var shipped, unshipped []time.Duration
	for i := range b.N {
		for _, ship := range []bool{true, false} {
			id := startBenchRun(b, vc, params, ship)
			delay := driverEndToCompleted(b, vc, id)
			if ship {
				shipped = append(shipped, delay)
				checkShipped(b, vc, id)
			} else {
				unshipped = append(unshipped, delay)
			}
			b.Logf("round %d, logs shipped %v: %v from the driver's end to COMPLETED", i, ship, delay)
		}
	}
	b.ReportMetric(median(shipped).Seconds(), "s-to-completed-logs-shipped")
	b.ReportMetric(median(unshipped).Seconds(), "s-to-completed-no-logUri")
	b.Logf("%d executors; driver end → COMPLETED with logUri %v, without %v", logBenchExecutors, shipped, unshipped)
}

func startBenchRun(b *testing.B, vc, params string, ship bool) string {
	in := &emrcontainers.StartJobRunInput{VirtualClusterId: &vc, Name: aws.String("pi-many"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint: aws.String(piEntryPoint), SparkSubmitParameters: aws.String(params)}}}
	if ship {
		in.ConfigurationOverrides = &types.ConfigurationOverrides{MonitoringConfiguration: &types.MonitoringConfiguration{
			S3MonitoringConfiguration: &types.S3MonitoringConfiguration{LogUri: aws.String("s3://" + config.DevS3Bucket + "/bench-logs/")}}}
	}
	out, err := sdk().StartJobRun(context.Background(), in)
	if err != nil {
		b.Fatal(err)
	}
	return *out.Id
}

// driverEndToCompleted polls the run's driver pod and the run every 20 ms
// and returns the time from the driver first seen Succeeded to the run
// first seen COMPLETED.
func driverEndToCompleted(b *testing.B, vc, id string) time.Duration {
	ctx := context.Background()
	sel := "spark-role=driver,emr-containers.amazonaws.com/job.id=" + id
	var driverEnd time.Time
	for deadline := time.Now().Add(20 * time.Minute); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if driverEnd.IsZero() {
			list, err := kube.CoreV1().Pods(benchNamespace).List(ctx, metav1.ListOptions{LabelSelector: sel})
			if err != nil {
				b.Fatal(err)
			}
			for _, p := range list.Items {
				if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed {
					driverEnd = time.Now()
				}
			}
		}
		out, err := sdk().DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vc, Id: &id})
		if err != nil {
			b.Fatal(err)
		}
		switch out.JobRun.State {
		case types.JobRunStateCompleted:
			if driverEnd.IsZero() {
				b.Fatalf("run %s COMPLETED before its driver was seen ending", id)
			}
			return time.Since(driverEnd)
		case types.JobRunStateFailed, types.JobRunStateCancelled:
			b.Fatalf("run %s ended %s: %s", id, out.JobRun.State, aws.ToString(out.JobRun.StateDetails))
		}
	}
	b.Fatalf("run %s not done after 20 minutes", id)
	return 0
}

// checkShipped fails the benchmark unless every executor's stdout.gz is in
// the bucket.
func checkShipped(b *testing.B, vc, id string) {
	c := devS3(b)
	prefix := "bench-logs/" + vc + "/jobs/" + id + "/containers/"
	n := 0
	p := s3.NewListObjectsV2Paginator(c, &s3.ListObjectsV2Input{Bucket: aws.String(config.DevS3Bucket), Prefix: aws.String(prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			b.Fatal(err)
		}
		for _, o := range page.Contents {
			if k := aws.ToString(o.Key); strings.Contains(k, "-exec-") && strings.HasSuffix(k, "/stdout.gz") {
				n++
			}
		}
	}
	if n != logBenchExecutors {
		b.Fatalf("run %s: %d executors' stdout.gz shipped, want %d", id, n, logBenchExecutors)
	}
}
