package multiserver

import (
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/testenv"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// The logs of a finished run are in the store: a server that shares the
// database but not the data directory of the one that ran it serves them.
func TestLogsOfAFinishedRunFromAnotherServer(t *testing.T) {
	dbURL := pgenv.Start(t).NewDatabase(t)
	dataA, logDir := t.TempDir(), t.TempDir()
	t.Cleanup(func() { killRuns(dataA) })
	appPath := filepath.Join(testenv.SharedDir(t), "hello.py")
	const hello = `from pyspark.sql import SparkSession
spark = SparkSession.builder.getOrCreate()
print("hello from a, counted %d" % spark.sparkContext.parallelize(range(100), 2).count())
spark.stop()
`
	if err := os.WriteFile(appPath, []byte(hello), 0o644); err != nil {
		t.Fatal(err)
	}
	a := startServer(t, "a", dbURL, dataA, logDir)
	ctx := contextFor(t, 5*time.Minute)
	vc, err := a.Client.CreateVirtualCluster(ctx, &emrcontainers.CreateVirtualClusterInput{
		Name: aws.String("logs"),
		ContainerProvider: &types.ContainerProvider{Type: types.ContainerProviderTypeEks, Id: aws.String("local"),
			Info: &types.ContainerInfoMemberEksInfo{Value: types.EksInfo{Namespace: aws.String("logs")}}},
	})
	if err != nil {
		t.Fatalf("CreateVirtualCluster: %v", err)
	}
	out, err := a.Client.StartJobRun(ctx, &emrcontainers.StartJobRunInput{
		VirtualClusterId: vc.Id,
		Name:             aws.String("hello"),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"),
		ReleaseLabel:     aws.String("emr-7.2.0-latest"),
		JobDriver: &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{
			EntryPoint:            aws.String(appPath),
			SparkSubmitParameters: aws.String("--conf spark.executor.instances=1 --conf spark.executor.cores=1 --conf spark.driver.memory=512m --conf spark.ui.enabled=false"),
		}},
	})
	if err != nil {
		t.Fatalf("StartJobRun: %v", err)
	}
	id := aws.ToString(out.Id)
	if got := waitRuns(t, a, aws.ToString(vc.Id), []string{id}, 4*time.Minute, terminal)[id]; got != types.JobRunStateCompleted {
		t.Fatalf("run is %s, want COMPLETED:\n%s", got, a.Log(t))
	}
	a.Kill(t) // its data directory is out of reach from now on

	b := startServer(t, "b", dbURL, t.TempDir(), logDir)
	resp, err := http.Get(b.URL + "/sparkplane/v1/virtualclusters/" + aws.ToString(vc.Id) + "/jobruns/" + id + "/logs/stdout")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "hello from a, counted 100") {
		t.Fatalf("b's logs of a's run: %s\n%s", resp.Status, body)
	}
}
