package devcluster

import (
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// kill -9 of the server mid-run, then a restart: the run completes, and
// Spark's driver was created exactly once.
func TestServerKilledMidRun(t *testing.T) {
	for _, mode := range submissionModes {
		t.Run(mode, func(t *testing.T) {
			ns := modeNamespace("restart", mode)
			vc := devVC(t, ns)
			id := startRunIn(t, mode, vc, "pi-restart", piEntryPoint, piParams)
			pods := watchRun(t, ns, id)
			deadline := time.Now().Add(3 * time.Minute)
			for len(pods.byRole("driver")) == 0 {
				if time.Now().After(deadline) {
					t.Fatalf("no driver pod after 3 minutes; pods: %v", livePods(t, ns, id))
				}
				time.Sleep(20 * time.Millisecond)
			}
			srv.kill()
			restarted, err := startServer(srv.logPath)
			if err != nil {
				t.Fatal(err)
			}
			srv = restarted
			run := waitState(t, vc, id, 5*time.Minute, terminal)
			if run.State != types.JobRunStateCompleted {
				t.Fatalf("state %s (%s), want COMPLETED", run.State, aws.ToString(run.StateDetails))
			}
			if d := pods.byRole("driver"); len(d) != 1 {
				t.Fatalf("%d driver pods were created, want exactly 1", len(d))
			}
			if r := pods.byRole("job-runner"); len(r) != jobRunners(mode) {
				t.Fatalf("%d job-runner pods were created, want %d", len(r), jobRunners(mode))
			}
			if log := runLog(t, vc, id, "driver"); !strings.Contains(log, "Pi is roughly 3.1") {
				t.Errorf("driver log has no Pi line:\n%s", log)
			}
		})
	}
}
