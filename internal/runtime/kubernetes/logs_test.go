package kubernetes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

type memArchive map[string][]byte

func (a memArchive) PutJobRunLog(_ context.Context, vc, run string, attempt int, stream string, data []byte) error {
	a[fmt.Sprintf("%s/%s/%d/%s", vc, run, attempt, stream)] = bytes.Clone(data)
	return nil
}

func (a memArchive) JobRunLog(_ context.Context, vc, run string, attempt int, stream string) ([]byte, error) {
	if b, ok := a[fmt.Sprintf("%s/%s/%d/%s", vc, run, attempt, stream)]; ok {
		return b, nil
	}
	return nil, runtime.ErrLogNotFound
}

// CollectLogs archives the current attempt's job runner and driver logs
// (the fake clientset answers every pod log with "fake logs"); Logs finds
// no pod for an attempt that has none.
func TestCollectLogs(t *testing.T) {
	pod := func(name, component, attempt string) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: "ns", Labels: map[string]string{
			LabelJobID: "run1", LabelVirtualCluster: "vc1", LabelComponent: component, LabelAttempt: attempt}}}
	}
	client := fake.NewClientset(pod("run1-1-abc", ComponentSubmitter, "1"), pod("spark-run1-driver", ComponentDriver, "1"),
		pod("run1-2-def", ComponentSubmitter, "2"))
	archive := memArchive{}
	r := New(Options{ClusterID: "c", Client: client, Archive: archive})
	defer r.Close()
	vc := &emr.VirtualCluster{ID: "vc1", ContainerProvider: emr.ContainerProvider{ID: "c", Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "ns"}}}}
	run := &emr.JobRun{ID: "run1", VirtualClusterID: "vc1"}
	if err := r.CollectLogs(context.Background(), vc, run); err != nil {
		t.Fatal(err)
	}
	run.RetryPolicyExecution = &emr.RetryPolicyExecution{CurrentAttemptCount: 2}
	if err := r.CollectLogs(context.Background(), vc, run); err != nil {
		t.Fatal(err)
	}
	want := []string{"vc1/run1/1/job-runner", "vc1/run1/1/driver", "vc1/run1/2/job-runner"}
	if len(archive) != len(want) {
		t.Errorf("archived %d logs, want %v: %q", len(archive), want, archive)
	}
	for _, k := range want {
		if string(archive[k]) != "fake logs" {
			t.Errorf("%s: %q", k, archive[k])
		}
	}
	if _, err := r.Logs(context.Background(), vc, run, LogDriver); !errors.Is(err, runtime.ErrLogNotFound) {
		t.Errorf("driver of attempt 2: %v, want ErrLogNotFound", err)
	}
	if _, err := r.Logs(context.Background(), vc, run, runtime.StreamStdout); !errors.Is(err, runtime.ErrLogNotFound) {
		t.Errorf("stdout: %v, want ErrLogNotFound", err)
	}
}
