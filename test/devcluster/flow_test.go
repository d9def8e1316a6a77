package devcluster

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
)

// The tutorial's pi.py, started with the AWS CLI on a "dev" virtual
// cluster, runs as a job-runner pod whose spark-submit creates a driver pod
// (in native mode, sparkplane creates the driver pod) that creates two
// executor pods, and completes.
func TestPiOnTheEmbeddedCluster(t *testing.T) {
	for _, mode := range submissionModes {
		t.Run(mode, func(t *testing.T) {
			ns := modeNamespace("pi", mode)
			vc := devVC(t, ns)
			id := startRunIn(t, mode, vc, "pi", piEntryPoint, piParams)
			pods := watchRun(t, ns, id)

			run := waitState(t, vc, id, 5*time.Minute, terminal)
			if run.State != types.JobRunStateCompleted {
				t.Fatalf("state %s (%s), want COMPLETED\njob runner:\n%s\ndriver:\n%s", run.State, aws.ToString(run.StateDetails),
					runLog(t, vc, id, "job-runner"), runLog(t, vc, id, "driver"))
			}
			drivers, executors, runners := pods.byRole("driver"), pods.byRole("executor"), pods.byRole("job-runner")
			if len(runners) != jobRunners(mode) || len(drivers) != 1 || len(executors) != 2 {
				t.Fatalf("pods seen: %d job runner, %d driver, %d executors; want %d, 1, 2", len(runners), len(drivers), len(executors), jobRunners(mode))
			}
			driver := drivers[0]
			for _, e := range executors {
				// Spark's driver created them: they are owned by the driver pod.
				if len(e.OwnerReferences) != 1 || e.OwnerReferences[0].UID != driver.UID {
					t.Errorf("executor %s owners %v, want the driver pod %s", e.Name, e.OwnerReferences, driver.Name)
				}
				if e.Status.PodIP == "" || e.Spec.NodeName == "" {
					t.Errorf("executor %s never ran: IP %q node %q", e.Name, e.Status.PodIP, e.Spec.NodeName)
				}
			}
			if driver.Status.Phase != corev1.PodSucceeded {
				t.Errorf("driver %s ended %s, want Succeeded", driver.Name, driver.Status.Phase)
			}
			if got := driver.Labels["emr-containers.amazonaws.com/virtual-cluster-id"]; got != vc {
				t.Errorf("driver virtual-cluster-id label %q, want %q", got, vc)
			}
			if log := runLog(t, vc, id, "driver"); !strings.Contains(log, "Pi is roughly 3.1") {
				t.Errorf("driver log (through the kubelet API) has no Pi line:\n%s", log)
			}
		})
	}
}

// A release of another Spark line runs that Spark: emr-6.9.0 ships Spark
// 3.3.0, whose image (apache/spark-py:v3.3.0) the node agent maps to the
// cache folder's Spark 3.3.0, installed there on first use. The job
// computes Pi with DataFrames: Spark 3.3's cloudpickle cannot serialise
// Python functions on the host's Python 3.11.
func TestReleaseRunsItsSparkVersion(t *testing.T) {
	dir := t.TempDir() // pods see the host's files, as a mounted volume would
	app := filepath.Join(dir, "pi_df.py")
	if err := os.WriteFile(app, []byte(piDataFrame), 0o644); err != nil {
		t.Fatal(err)
	}
	vc := devVC(t, "spark33")
	id := startRunOn(t, "emr-6.9.0-latest", vc, "spark33", "local://"+app, "--conf spark.executor.instances=1")
	pods := watchRun(t, "spark33", id)
	// A first installation takes about a minute more.
	run := waitState(t, vc, id, 8*time.Minute, terminal)
	driverLog := runLog(t, vc, id, "driver")
	if run.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED\njob runner:\n%s\ndriver:\n%s", run.State, aws.ToString(run.StateDetails),
			runLog(t, vc, id, "job-runner"), driverLog)
	}
	if !strings.Contains(driverLog, "Running Spark version 3.3.0") || !strings.Contains(driverLog, "Pi is roughly 3.1") {
		t.Errorf("driver log lacks Spark 3.3.0's start or the Pi line:\n%s", driverLog)
	}
	for _, p := range append(pods.byRole("driver"), pods.byRole("executor")...) {
		if im := p.Spec.Containers[0].Image; im != "apache/spark-py:v3.3.0" {
			t.Errorf("pod %s runs image %s, want apache/spark-py:v3.3.0", p.Name, im)
		}
	}
	if n := len(pods.byRole("executor")); n != 1 {
		t.Errorf("%d executor pods seen, want 1", n)
	}
}

// piDataFrame computes Pi without Python functions on the executors.
const piDataFrame = `
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.appName("pi-df").getOrCreate()
n = 200000
df = spark.range(n).select((F.rand(1) * 2 - 1).alias("x"), (F.rand(2) * 2 - 1).alias("y"))
inside = df.filter("x * x + y * y <= 1").count()
print("Pi is roughly %f" % (4.0 * inside / n))
spark.stop()
`

// A Python application that raises ends FAILED with USER_ERROR and the
// exception, from the driver's log, in its details.
func TestFailingApplication(t *testing.T) {
	dir := t.TempDir() // pods see the host's files, as a mounted volume would
	app := filepath.Join(dir, "fail.py")
	if err := os.WriteFile(app, []byte("from pyspark.sql import SparkSession\n"+
		"spark = SparkSession.builder.getOrCreate()\n"+
		"raise ValueError('bad input table s3://nowhere')\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range submissionModes {
		t.Run(mode, func(t *testing.T) {
			vc := devVC(t, modeNamespace("fail", mode))
			id := startRunIn(t, mode, vc, "fail", "local://"+app, "--conf spark.executor.instances=1")
			run := waitState(t, vc, id, 5*time.Minute, terminal)
			if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonUserError {
				t.Fatalf("state %s reason %s (%s), want FAILED USER_ERROR", run.State, run.FailureReason, aws.ToString(run.StateDetails))
			}
			if d := aws.ToString(run.StateDetails); !strings.Contains(d, "ValueError: bad input table s3://nowhere") {
				t.Errorf("stateDetails %q lack the exception", d)
			}
			if log := runLog(t, vc, id, "driver"); !strings.Contains(log, "ValueError: bad input table") {
				t.Errorf("driver log lacks the exception:\n%s", log)
			}
		})
	}
}

// Cancelling a running job removes every pod of it.
func TestCancelRemovesEveryPod(t *testing.T) {
	dir := t.TempDir()
	app := filepath.Join(dir, "long.py")
	if err := os.WriteFile(app, []byte("import time\nfrom pyspark.sql import SparkSession\n"+
		"spark = SparkSession.builder.getOrCreate()\n"+
		"spark.sparkContext.parallelize(range(2), 2).map(lambda x: time.sleep(600)).count()\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, mode := range submissionModes {
		t.Run(mode, func(t *testing.T) {
			ns := modeNamespace("cancel", mode)
			vc := devVC(t, ns)
			id := startRunIn(t, mode, vc, "long", "local://"+app, "--conf spark.executor.instances=1")
			pods := watchRun(t, ns, id)
			waitState(t, vc, id, 5*time.Minute, func(s types.JobRunState) bool { return s == types.JobRunStateRunning || terminal(s) })
			deadline := time.Now().Add(3 * time.Minute)
			for len(pods.byRole("executor")) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no executor pod after 3 minutes; pods: %v", livePods(t, ns, id))
				}
				time.Sleep(500 * time.Millisecond)
			}
			if _, err := sdk().CancelJobRun(context.Background(), &emrcontainers.CancelJobRunInput{VirtualClusterId: &vc, Id: &id}); err != nil {
				t.Fatal(err)
			}
			run := waitState(t, vc, id, 3*time.Minute, terminal)
			if run.State != types.JobRunStateCancelled {
				t.Fatalf("state %s, want CANCELLED", run.State)
			}
			if left := livePods(t, ns, id); len(left) > 0 {
				t.Fatalf("pods left after CANCELLED: %v", left)
			}
		})
	}
}
