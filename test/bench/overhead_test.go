package bench

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// BenchmarkPiOverhead compares, in the same run, the quickstart's pi.py
// through sparkplane (StartJobRun to COMPLETED, from the run's own createdAt
// and finishedAt) with the same spark-submit command run by hand. Each b.N
// runs both once, alternating; medians are reported.
func BenchmarkPiOverhead(b *testing.B) {
	dist, err := sparkdist.Find("", config.ReadEnv())
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	c, vcID, _ := localServer(ctx, b, nil)

	var viaAPI, byHand []time.Duration
	pi := filepath.Join(dist.SparkHome, "examples/src/main/python/pi.py")
	for range b.N {
		// By hand: what the local runtime runs, minus sparkplane.
		t0 := time.Now()
		cmd := exec.Command(dist.SparkSubmit(), "--master", "local[2]", "--conf", "spark.executor.instances=2",
			"--conf", "spark.executor.memory=2G", "--conf", "spark.executor.cores=1", "--conf", "spark.driver.cores=1", pi)
		cmd.Env = append(dist.Env(os.Environ()), "SPARK_LOCAL_IP=127.0.0.1")
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Pi is roughly") {
			b.Fatalf("spark-submit by hand: %v\n%s", err, out)
		}
		byHand = append(byHand, time.Since(t0))

		run, err := c.StartJobRun(ctx, &emrcontainers.StartJobRunInput{VirtualClusterId: aws.String(vcID), Name: aws.String("pi"),
			ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
			JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
				EntryPoint:            aws.String("local:///usr/lib/spark/examples/src/main/python/pi.py"),
				SparkSubmitParameters: aws.String("--conf spark.executor.instances=2 --conf spark.executor.memory=2G --conf spark.executor.cores=1 --conf spark.driver.cores=1")}}})
		if err != nil {
			b.Fatal(err)
		}
		for {
			d, err := c.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: aws.String(vcID), Id: run.Id})
			if err != nil {
				b.Fatal(err)
			}
			if d.JobRun.State == types.JobRunStateCompleted {
				viaAPI = append(viaAPI, d.JobRun.FinishedAt.Sub(*d.JobRun.CreatedAt))
				break
			}
			if d.JobRun.State == types.JobRunStateFailed {
				b.Fatalf("run failed: %s", aws.ToString(d.JobRun.StateDetails))
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	hand, api := median(byHand), median(viaAPI)
	b.ReportMetric(hand.Seconds(), "by-hand-s")
	b.ReportMetric(api.Seconds(), "sparkplane-s")
	b.ReportMetric(100*(api.Seconds()/hand.Seconds()-1), "overhead-%")
	b.ReportMetric(0, "ns/op")
}

func median(ds []time.Duration) time.Duration {
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
