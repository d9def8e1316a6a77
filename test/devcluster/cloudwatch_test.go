package devcluster

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// TestContainerLogsShippedToCloudWatch: pi.py with 2 executors and
// cloudWatchMonitoringConfiguration on the embedded cluster sends the logs
// of its job runner, driver and both executors to a real CloudWatch Logs
// server (moto's; the server's cloudWatch section points at it), in the
// log streams EMR on EKS names, the executors' although Spark deleted
// their pods; the driver's stream has its "Pi is roughly" line.
func TestContainerLogsShippedToCloudWatch(t *testing.T) {
	const ns, group, prefix = "cw-logs", "/emr-on-eks/dev", "pi"
	vc := devVC(t, ns)
	var run struct{ ID string }
	awsCLI(t, &run, "start-job-run", "--virtual-cluster-id", vc, "--name", "pi-cloudwatch",
		"--execution-role-arn", "arn:aws:iam::123456789012:role/emr-job", "--release-label", "emr-7.2.0-latest",
		"--job-driver", `{"sparkSubmitJobDriver":{"entryPoint":"`+piEntryPoint+`","sparkSubmitParameters":"`+piParams+`"}}`,
		"--configuration-overrides", `{"monitoringConfiguration":{"cloudWatchMonitoringConfiguration":{"logGroupName":"`+group+`","logStreamNamePrefix":"`+prefix+`"}}}`)
	id := run.ID
	pods := watchRun(t, ns, id)
	jr := waitState(t, vc, id, 5*time.Minute, terminal)
	if jr.State != types.JobRunStateCompleted {
		t.Fatalf("state %s (%s), want COMPLETED\njob runner:\n%s", jr.State, aws.ToString(jr.StateDetails), runLog(t, vc, id, "job-runner"))
	}
	drivers, executors, runners := pods.byRole("driver"), pods.byRole("executor"), pods.byRole("job-runner")
	if len(drivers) != 1 || len(executors) != 2 || len(runners) != 1 {
		t.Fatalf("pods seen: %d drivers, %d executors, %d job runners; want 1, 2, 1", len(drivers), len(executors), len(runners))
	}
	appID := drivers[0].Labels["spark-app-selector"]
	base := prefix + "/" + vc + "/jobs/" + id + "/"
	driverStream := base + "containers/" + appID + "/" + drivers[0].Name + "/stdout"
	// Kubernetes serves a container's stdout and stderr as one log: it is
	// the stdout stream (an empty stderr makes no stream).
	want := []string{base + "control-logs/" + runners[0].Name + "/stdout", driverStream}
	for _, e := range executors {
		want = append(want, base+"containers/"+appID+"/"+e.Name+"/stdout")
	}
	slices.Sort(want)
	cw := cloudWatch.For(t)
	got := cw.Streams(group, base)
	slices.Sort(got)
	if !slices.Equal(got, want) {
		t.Fatalf("log streams of group %s:\n  %s\nwant:\n  %s", group, strings.Join(got, "\n  "), strings.Join(want, "\n  "))
	}
	msgs := cw.Messages(group, driverStream)
	if !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, "Pi is roughly 3.1") }) {
		t.Errorf("stream %s has no \"Pi is roughly\" event (%d events)", driverStream, len(msgs))
	}
	for _, e := range executors {
		stream := base + "containers/" + appID + "/" + e.Name + "/stdout"
		if msgs := cw.Messages(group, stream); !slices.ContainsFunc(msgs, func(m string) bool { return strings.Contains(m, "CoarseGrainedExecutorBackend") }) {
			t.Errorf("executor stream %s has no line of Spark's executor (%d events)", stream, len(msgs))
		}
	}
}
