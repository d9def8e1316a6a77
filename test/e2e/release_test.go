package e2e

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/smithy-go"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// piDataFrame estimates pi with DataFrame expressions only (no Python
// function is pickled), so it runs on every Spark line from 3.0 on.
const piDataFrame = `
from pyspark.sql import SparkSession, functions as F
spark = SparkSession.builder.appName("pi-df").getOrCreate()
n = 200000
df = spark.range(n).select((F.rand(1) * 2 - 1).alias("x"), (F.rand(2) * 2 - 1).alias("y"))
inside = df.filter("x * x + y * y <= 1").count()
print("Pi is roughly %f" % (4.0 * inside / n))
spark.stop()
`

// startRelease submits entryPoint on release label.
func startRelease(c *emrcontainers.Client, vcID, name, label, entryPoint string) (string, error) {
	out, err := c.StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: aws.String(vcID),
		Name:             aws.String(name),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
		ReleaseLabel:     aws.String(label),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(entryPoint),
			SparkSubmitParameters: aws.String("--conf spark.executor.instances=1"),
		}},
	})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.Id), nil
}

// TestReleaseLabelPicksItsSpark runs the same job on three release labels:
// emr-6.9.0 ships Spark 3.3.0 (installed from PyPI on first use, then
// cached), emr-7.2.0 Spark 3.5 (the preinstalled 3.5.9), and emr-5.36.0
// Spark 2.4.8, which cannot run on this host's Java 17.
func TestReleaseLabelPicksItsSpark(t *testing.T) {
	s := startServer(t, "")
	vc := createVC(t, s.Client, "releases", "default")
	app := "file://" + writeApp(t, "pi_df.py", piDataFrame)

	for _, tc := range []struct{ label, spark string }{
		{"emr-6.9.0-latest", "Running Spark version 3.3.0"},
		{"emr-7.2.0-latest", "Running Spark version 3.5."},
	} {
		id, err := startRelease(s.Client, vc, "pi-"+tc.label, tc.label, app)
		if err != nil {
			t.Fatalf("StartJobRun on %s: %v", tc.label, err)
		}
		// First use of 3.3.0 downloads ~300 MB.
		run, _ := waitFor(t, s.Client, vc, id, 15*time.Minute, terminal)
		stderr := getLog(t, s.URL, vc, id, "stderr")
		if run.State != types.JobRunStateCompleted {
			t.Fatalf("%s: state %s (%s), want COMPLETED; stderr:\n%s", tc.label, run.State, aws.ToString(run.StateDetails), lastN(stderr, 30))
		}
		if !strings.Contains(stderr, tc.spark) {
			t.Errorf("%s: stderr does not show %q:\n%s", tc.label, tc.spark, lastN(stderr, 30))
		}
		if out := getLog(t, s.URL, vc, id, "stdout"); !strings.Contains(out, "Pi is roughly 3.1") {
			t.Errorf("%s: stdout has no Pi line:\n%s", tc.label, out)
		}
	}

	id, err := startRelease(s.Client, vc, "pi-emr-5", "emr-5.36.0-latest", app)
	if err != nil {
		t.Fatalf("StartJobRun on emr-5.36.0-latest: %v", err)
	}
	run, _ := waitFor(t, s.Client, vc, id, time.Minute, terminal)
	d := aws.ToString(run.StateDetails)
	if run.State != types.JobRunStateFailed || run.FailureReason != types.FailureReasonValidationError ||
		!strings.Contains(d, "Apache Spark 2.4.8") || !strings.Contains(d, "Java 8") {
		t.Errorf("emr-5.36.0-latest: state %s reason %s details %q; want FAILED VALIDATION_ERROR saying Spark 2.4.8 needs Java 8",
			run.State, run.FailureReason, d)
	}
}

// TestPublishedReleaseVariantsAcceptedUnknownRefused: the variant labels
// EMR publishes are accepted (on a server whose Spark is pinned, so nothing
// is installed), those it never published get its ResourceNotFoundException.
func TestPublishedReleaseVariantsAcceptedUnknownRefused(t *testing.T) {
	pinned, err := sparkdist.Find("", config.ReadEnv())
	if err != nil {
		t.Skip(err)
	}
	s := startServerWith(t, "", func(c *config.Config) { c.Local.SparkHome = pinned.SparkHome })
	vc := createVC(t, s.Client, "variants", "default")
	app := "file://" + writeApp(t, "pi_df.py", piDataFrame)

	for _, label := range []string{"emr-6.12.0-java17-latest", "emr-6.11.0-spark-rapids-latest", "emr-spark-8.0.0-latest", "emr-6.14.0-java17-al2023-20231005"} {
		id, err := startRelease(s.Client, vc, "v", label, app)
		if err != nil {
			t.Errorf("StartJobRun on %s: %v", label, err)
			continue
		}
		if run, _ := waitFor(t, s.Client, vc, id, 3*time.Minute, terminal); run.State != types.JobRunStateCompleted {
			t.Errorf("%s: state %s (%s), want COMPLETED on the pinned Spark", label, run.State, aws.ToString(run.StateDetails))
		}
	}
	// emr-6.1.0 was never published for EKS (EMR on EKS starts at 6.2.0).
	for _, label := range []string{"emr-6.1.0-latest", "emr-9.9.9-latest", "emr-6.11.0-java17-latest"} {
		_, err := startRelease(s.Client, vc, "x", label, app)
		var api smithy.APIError
		if !errors.As(err, &api) || api.ErrorCode() != "ResourceNotFoundException" ||
			!strings.Contains(api.ErrorMessage(), "Release "+label+" doesn't exist") {
			t.Errorf("StartJobRun on %s: %v; want ResourceNotFoundException Release %s doesn't exist", label, err, label)
		}
	}
}
