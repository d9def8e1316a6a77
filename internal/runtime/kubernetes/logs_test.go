package kubernetes

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/rest"

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

// A failed driver's log, as the API server serves it, gives the cause of
// the failure: the S3A exception of a missing entry point.
func TestFailureCauseReadsTheFailedPodsLog(t *testing.T) {
	const driverLog = `25/01/02 10:11:12 INFO SparkContext: Running Spark version 3.5.7
Exception in thread "main" java.io.FileNotFoundException: No such file or directory: s3a://bucket/missing.py
	at org.apache.hadoop.fs.s3a.S3AFileSystem.s3GetFileStatus(S3AFileSystem.java:3866)
25/01/02 10:11:14 INFO ShutdownHookManager: Shutdown hook called
`
	var query url.Values
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if req.URL.Path != "/api/v1/namespaces/ns/pods/spark-1-driver/log" {
			http.NotFound(w, req)
			return
		}
		query = req.URL.Query()
		fmt.Fprint(w, driverLog)
	}))
	defer srv.Close()
	client, err := kubernetes.NewForConfig(&rest.Config{Host: srv.URL})
	if err != nil {
		t.Fatal(err)
	}
	r := New(Options{Client: client})
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "spark-1-driver", Namespace: "ns"},
		Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "sidecar"}, {Name: driverContainer}}}}
	want := `Exception in thread "main" java.io.FileNotFoundException: No such file or directory: s3a://bucket/missing.py`
	if got := r.failureCause(context.Background(), pod); got != want {
		t.Errorf("cause %q, want %q", got, want)
	}
	if query.Get("container") != driverContainer || query.Get("tailLines") != fmt.Sprint(failureLogLines) {
		t.Errorf("log query %v, want the driver container's last %d lines", query, failureLogLines)
	}
	pod.Name = "gone"
	if got := r.failureCause(context.Background(), pod); got != "" {
		t.Errorf("a pod without a log: cause %q, want none", got)
	}
}
