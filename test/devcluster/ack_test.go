package devcluster

import (
	"bytes"
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"

	"github.com/sparkplane/sparkplane/internal/ack/acktest"
	"github.com/sparkplane/sparkplane/internal/buildscript"
)

// ackNamespace holds the ACK resources of TestACK and the Spark pods of
// its virtual cluster; the server reconciles that namespace only.
const ackNamespace = "ack-test"

// ackConfig turns the ACK reconciler on in the shared server's config.
const ackConfig = "ack:\n  enabled: true\n  cluster: dev\n  namespaces: [" + ackNamespace + "]\n"

// TestACK applies ACK's manifests with kubectl: the VirtualCluster creates a
// virtual cluster, a JobRun runs pi.py to COMPLETED with its status
// following, a JobRun deleted while it runs cancels its run, a JobRun the
// API cannot start is ACK.Terminal, and deleting the VirtualCluster
// deletes the virtual cluster.
func TestACK(t *testing.T) {
	k := newKubectl(t)
	createNamespace(t, ackNamespace)
	// The definitions fit a plain (client-side) apply.
	k.run(t, "", "apply", "-f", filepath.Join("..", "..", "deploy", "ack", "crds.yaml"))
	k.run(t, "", "apply", "-f", filepath.Join("..", "..", "deploy", "ack", "rbac.yaml"))
	k.run(t, "", "wait", "--for=condition=Established", "--timeout=60s",
		"crd/jobruns.emrcontainers.services.k8s.aws", "crd/virtualclusters.emrcontainers.services.k8s.aws")
	api := sdk()
	ctx := context.Background()

	k.run(t, acktest.VirtualCluster(ackNamespace), "apply", "-n", ackNamespace, "-f", "-")
	vc := k.waitStatus(t, "virtualcluster", "my-ack-vc", 2*time.Minute, func(s ackStatus) bool { return s.ID != "" })
	if !vc.condition("ACK.ResourceSynced", "True") || vc.ACKResourceMetadata.Region != "us-east-1" || vc.ACKResourceMetadata.OwnerAccountID != "123456789012" ||
		!strings.HasSuffix(vc.ACKResourceMetadata.ARN, ":/virtualclusters/"+vc.ID) {
		t.Errorf("VirtualCluster status %+v", vc)
	}
	dvc, err := api.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: &vc.ID})
	if err != nil {
		t.Fatal(err)
	}
	if dvc.VirtualCluster.State != types.VirtualClusterStateRunning || aws.ToString(dvc.VirtualCluster.Name) != "my-ack-vc" ||
		dvc.VirtualCluster.Tags["Team"] != "data-engineering" {
		t.Errorf("virtual cluster %+v", dvc.VirtualCluster)
	}

	// A run to completion.
	k.run(t, acktest.JobRun("pi", nil, ""), "apply", "-n", ackNamespace, "-f", "-")
	pi := k.waitStatus(t, "jobrun", "pi", 8*time.Minute, func(s ackStatus) bool { return s.State == "COMPLETED" || s.State == "FAILED" })
	if pi.State != "COMPLETED" || pi.ID == "" || !pi.condition("ACK.ResourceSynced", "True") {
		t.Fatalf("JobRun pi status %+v", pi)
	}
	run, err := api.DescribeJobRun(ctx, &emrcontainers.DescribeJobRunInput{VirtualClusterId: &vc.ID, Id: &pi.ID})
	if err != nil {
		t.Fatal(err)
	}
	if run.JobRun.State != types.JobRunStateCompleted || aws.ToString(run.JobRun.Name) != "pi" || aws.ToString(run.JobRun.ClientToken) == "" ||
		run.JobRun.ConfigurationOverrides == nil || run.JobRun.ConfigurationOverrides.MonitoringConfiguration.PersistentAppUI != types.PersistentAppUIEnabled {
		t.Errorf("job run %+v", run.JobRun)
	}
	if aws.ToString(run.JobRun.StateDetails) != pi.StateDetails {
		t.Errorf("status.stateDetails %q; the API says %q", pi.StateDetails, aws.ToString(run.JobRun.StateDetails))
	}

	// A run deleted while it runs is cancelled, then the JobRun is gone
	// (kubectl delete waits for the finalizer).
	k.run(t, acktest.JobRun("pi-long", []string{"20000"}, ""), "apply", "-n", ackNamespace, "-f", "-")
	long := k.waitStatus(t, "jobrun", "pi-long", 5*time.Minute, func(s ackStatus) bool { return s.State == "RUNNING" || ended(s.State) })
	if long.State != "RUNNING" {
		t.Fatalf("JobRun pi-long: %+v; want RUNNING", long)
	}
	k.run(t, "", "delete", "-n", ackNamespace, "--timeout=2m", "jobrun", "pi-long")
	if out, err := k.try("get", "-n", ackNamespace, "jobrun", "pi-long"); err == nil || !strings.Contains(out, "NotFound") {
		t.Errorf("JobRun pi-long still there after delete: %v %s", err, out)
	}
	cancelled := waitState(t, vc.ID, long.ID, 3*time.Minute, terminal)
	if cancelled.State != types.JobRunStateCancelled {
		t.Errorf("deleted JobRun's run ended %s (%s); want CANCELLED", cancelled.State, aws.ToString(cancelled.StateDetails))
	}

	// A spec the API refuses makes the JobRun terminal, with its message.
	bad := strings.Replace(acktest.JobRun("bad", nil, ""), "releaseLabel: "+acktest.ReleaseLabel, "releaseLabel: emr-0.0.1-nonsense", 1)
	k.run(t, bad, "apply", "-n", ackNamespace, "-f", "-")
	badSt := k.waitStatus(t, "jobrun", "bad", time.Minute, func(s ackStatus) bool { return s.condition("ACK.Terminal", "True") })
	if msg := badSt.message("ACK.Terminal"); !strings.Contains(msg, "Release emr-0.0.1-nonsense doesn't exist") || badSt.ID != "" {
		t.Errorf("terminal JobRun: %+v (message %q)", badSt, msg)
	}
	k.run(t, "", "delete", "-n", ackNamespace, "--timeout=1m", "jobrun", "bad", "pi")

	// Deleting the VirtualCluster deletes the virtual cluster.
	k.run(t, "", "delete", "-n", ackNamespace, "--timeout=2m", "virtualcluster", "my-ack-vc")
	dvc, err = api.DescribeVirtualCluster(ctx, &emrcontainers.DescribeVirtualClusterInput{Id: &vc.ID})
	if err != nil {
		t.Fatal(err)
	}
	if dvc.VirtualCluster.State != types.VirtualClusterStateTerminated {
		t.Errorf("virtual cluster of the deleted VirtualCluster is %s; want TERMINATED", dvc.VirtualCluster.State)
	}
}

func ended(state string) bool {
	return state == "COMPLETED" || state == "FAILED" || state == "CANCELLED"
}

// kubectl runs the kubectl built by scripts/kube-binaries.sh against the
// embedded cluster.
type kubectl struct{ bin, kubeconfig string }

func newKubectl(t *testing.T) kubectl {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()
	dir, err := buildscript.Run(ctx, "scripts/kube-binaries.sh")
	if err != nil {
		t.Fatal(err)
	}
	st, ok, err := layout.ReadState()
	if err != nil || !ok {
		t.Fatalf("no running cluster: %v", err)
	}
	return kubectl{bin: filepath.Join(dir, "kubectl"), kubeconfig: st.Kubeconfig}
}

// try runs kubectl with args and returns its combined output.
func (k kubectl) try(args ...string) (string, error) {
	return k.input("", args...)
}

func (k kubectl) input(stdin string, args ...string) (string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, k.bin, append([]string{"--kubeconfig", k.kubeconfig}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// run runs kubectl with stdin and args, failing the test if it fails.
func (k kubectl) run(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	out, err := k.input(stdin, args...)
	if err != nil {
		t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return out
}

// ackStatus is the status of an ACK resource, as kubectl shows it.
type ackStatus struct {
	ACKResourceMetadata struct {
		ARN            string `json:"arn"`
		OwnerAccountID string `json:"ownerAccountID"`
		Region         string `json:"region"`
	} `json:"ackResourceMetadata"`
	Conditions []struct {
		Type, Status, Message string
	} `json:"conditions"`
	ID           string `json:"id"`
	State        string `json:"state"`
	StateDetails string `json:"stateDetails"`
}

func (s ackStatus) condition(typ, status string) bool {
	for _, c := range s.Conditions {
		if c.Type == typ {
			return c.Status == status
		}
	}
	return false
}

func (s ackStatus) message(typ string) string {
	for _, c := range s.Conditions {
		if c.Type == typ {
			return c.Message
		}
	}
	return ""
}

// waitStatus polls the status of resource kind/name with kubectl until
// done says so.
func (k kubectl) waitStatus(t *testing.T, kind, name string, timeout time.Duration, done func(ackStatus) bool) ackStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		out, err := k.try("get", "-n", ackNamespace, kind, name, "-o", "jsonpath={.status}")
		var s ackStatus
		if err == nil && strings.TrimSpace(out) != "" {
			if jerr := json.Unmarshal([]byte(out), &s); jerr != nil {
				t.Fatalf("%s %s status: %v\n%s", kind, name, jerr, out)
			}
			if done(s) {
				return s
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s %s: status still %s after %v (%v)", kind, name, out, timeout, err)
		}
		time.Sleep(time.Second)
	}
}
