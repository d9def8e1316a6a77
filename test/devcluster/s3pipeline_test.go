package devcluster

import (
	"archive/zip"
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/sparkplane/sparkplane/internal/config"
	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
	"github.com/sparkplane/sparkplane/internal/s3server"
	"github.com/sparkplane/sparkplane/internal/testenv/s3env"
)

// pipelineMain reads the CSV at argv[1], labels each row with a Python UDF
// from the --py-files zip (so the executors import it too) over two
// partitions, and writes Parquet to argv[2].
const pipelineMain = `
import sys
from pyspark.sql import SparkSession
from pyspark.sql.functions import udf
from shout import shout
spark = SparkSession.builder.appName("s3-pipeline").getOrCreate()
df = spark.read.option("header", True).schema("id BIGINT, name STRING, amount DOUBLE").csv(sys.argv[1])
df = df.repartition(2).withColumn("label", udf(shout)("name"))
df.write.mode("overwrite").parquet(sys.argv[2])
print("WROTE %d rows" % spark.read.parquet(sys.argv[2]).count(), flush=True)
spark.stop()
`

// The EMR getting-started shape on the embedded cluster: the entry point,
// a --py-files zip and the CSV input in the dev S3 bucket, Parquet written
// back there, by a driver and two executor pods. The role maps no
// kubernetesSecret, so its pods get the dev S3 server's keys from the
// secret the server keeps in the namespace; the keys appear in no
// ConfigMap and no log.
func TestS3PipelineOnTheEmbeddedCluster(t *testing.T) {
	creds, err := s3server.ReadCredentialsFile(layout.S3CredentialsFile())
	if err != nil {
		t.Fatal(err)
	}
	endpoint := fmt.Sprintf("http://127.0.0.1:%d", config.DefaultDevS3Port)
	c := s3.New(s3.Options{Region: config.DevS3Region, BaseEndpoint: aws.String(endpoint), UsePathStyle: true,
		Credentials: credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, "")})
	ctx := t.Context()
	const bucket, prefix = config.DevS3Bucket, "pipeline/"
	put := func(key string, body []byte) {
		t.Helper()
		if _, err := c.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(prefix + key), Body: bytes.NewReader(body)}); err != nil {
			t.Fatalf("put %s: %v", key, err)
		}
	}
	put("main.py", []byte(pipelineMain))
	put("deps.zip", zipOf(t, map[string]string{"shout/__init__.py": "def shout(s):\n    return s.upper() + '!'\n"}))
	put("in.csv", []byte("id,name,amount\n1,alice,10.5\n2,bob,20.25\n3,carol,30\n4,dave,41\n"))

	const ns = "s3-pipeline"
	vc := devVC(t, ns)
	s3uri := "s3://" + bucket + "/" + prefix
	var run struct{ ID string }
	awsCLI(t, &run, "start-job-run", "--virtual-cluster-id", vc, "--name", "s3-pipeline",
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job", "--release-label", "emr-7.2.0-latest",
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+s3uri+`main.py",`+
			`"entryPointArguments":["`+s3uri+`in.csv","s3a://`+bucket+`/`+prefix+`out/"],`+
			`"sparkSubmitParameters":"--py-files `+s3uri+`deps.zip `+piParams+`"}}`)
	id := run.ID
	pods := watchRun(t, ns, id)

	jr := waitState(t, vc, id, 5*time.Minute, terminal)
	driverLog := runLog(t, vc, id, "driver")
	if jr.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED\njob runner:\n%s\ndriver:\n%s", jr.State, aws.ToString(jr.StateDetails),
			runLog(t, vc, id, "job-runner"), driverLog)
	}
	if !strings.Contains(driverLog, "WROTE 4 rows") {
		t.Errorf("driver log lacks WROTE 4 rows:\n%s", driverLog)
	}

	// A driver and two executors ran, each with the default secret as env.
	drivers, executors := pods.byRole("driver"), pods.byRole("executor")
	if len(drivers) != 1 || len(executors) != 2 {
		t.Fatalf("pods seen: %d driver, %d executors; want 1, 2", len(drivers), len(executors))
	}
	for _, p := range append(append(pods.byRole("job-runner"), drivers...), executors...) {
		if p.Status.PodIP == "" || p.Spec.NodeName == "" {
			t.Errorf("pod %s never ran: IP %q node %q", p.Name, p.Status.PodIP, p.Spec.NodeName)
		}
		if !usesSecret(p, k8sruntime.DefaultSecretName) {
			t.Errorf("pod %s does not get secret %s as env: %+v", p.Name, k8sruntime.DefaultSecretName, p.Spec.Containers[0].EnvFrom)
		}
	}
	sec, err := kube.CoreV1().Secrets(ns).Get(context.Background(), k8sruntime.DefaultSecretName, metav1.GetOptions{})
	if err != nil || string(sec.Data["AWS_ACCESS_KEY_ID"]) != creds.AccessKeyID || string(sec.Data["AWS_SECRET_ACCESS_KEY"]) != creds.SecretAccessKey {
		t.Errorf("secret %s/%s does not hold the dev S3 keys: %v", ns, k8sruntime.DefaultSecretName, err)
	}
	cms, err := kube.CoreV1().ConfigMaps(ns).List(context.Background(), metav1.ListOptions{LabelSelector: k8sruntime.LabelJobID + "=" + id})
	if err != nil {
		t.Fatal(err)
	}
	for _, cm := range cms.Items {
		for _, v := range cm.Data {
			if strings.Contains(v, creds.SecretAccessKey) {
				t.Errorf("ConfigMap %s holds the secret key", cm.Name)
			}
		}
	}
	if strings.Contains(driverLog, creds.SecretAccessKey) || strings.Contains(runLog(t, vc, id, "job-runner"), creds.SecretAccessKey) {
		t.Error("the secret key is in a pod's log")
	}

	// The Parquet files, read straight from the S3 server.
	type row struct {
		ID     int64   `parquet:"id"`
		Name   string  `parquet:"name"`
		Amount float64 `parquet:"amount"`
		Label  string  `parquet:"label"`
	}
	rows, keys := s3env.ReadParquet[row](t, c, bucket, prefix+"out/")
	if !slices.Contains(keys, prefix+"out/_SUCCESS") {
		t.Errorf("out/ holds %v: no _SUCCESS, the job did not commit", keys)
	}
	slices.SortFunc(rows, func(a, b row) int { return int(a.ID - b.ID) })
	want := []row{{1, "alice", 10.5, "ALICE!"}, {2, "bob", 20.25, "BOB!"}, {3, "carol", 30, "CAROL!"}, {4, "dave", 41, "DAVE!"}}
	if !slices.Equal(rows, want) {
		t.Errorf("rows in %sout/: %+v, want %+v (objects: %v)", s3uri, rows, want, keys)
	}
}

// usesSecret says whether the pod's first container gets the secret name as env.
func usesSecret(p *corev1.Pod, name string) bool {
	for _, e := range p.Spec.Containers[0].EnvFrom {
		if e.SecretRef != nil && e.SecretRef.Name == name {
			return true
		}
	}
	return false
}

// zipOf is a zip archive of files (name → content).
func zipOf(t *testing.T, files map[string]string) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := zip.NewWriter(&buf)
	for name, body := range files {
		f, err := w.Create(name)
		if err == nil {
			_, err = io.WriteString(f, body)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}
