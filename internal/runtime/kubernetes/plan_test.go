package kubernetes

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

func TestServiceAccountNames(t *testing.T) {
	for _, tc := range []struct{ arn, client, binding string }{
		{"arn:aws:iam::123456789012:role/abcdefghijkl", "emr-containers-sa-spark-client-123456789012-2x6xx5ubcrus4bplmr0", "emr-containers-rb-spark-client-123456789012-2x6xx5ubcrus4bplmr0"},
		{"arn:aws:iam::111122223333:role/path/to/+=,.@-_", "emr-containers-sa-spark-client-111122223333-3bu5b0xg4tb", "emr-containers-rb-spark-client-111122223333-3bu5b0xg4tb"},
	} {
		id, err := parseRole(tc.arn)
		if err != nil {
			t.Fatal(err)
		}
		if got := id.serviceAccount("client"); got != tc.client {
			t.Errorf("%s: service account %s, want %s", tc.arn, got, tc.client)
		}
		if got := id.roleBinding("client"); got != tc.binding {
			t.Errorf("%s: role binding %s, want %s", tc.arn, got, tc.binding)
		}
	}
	for _, bad := range []string{"arn:aws:iam::123456789012:user/bob", "role/x", "arn:aws:iam::123456789012:role/"} {
		if _, err := parseRole(bad); err == nil {
			t.Errorf("parseRole(%q) accepted", bad)
		}
	}
}

func TestImageFor(t *testing.T) {
	images := []Image{{ReleasePrefix: "emr-7", Image: "a"}, {ReleasePrefix: "emr-7.2", Image: "b", SparkHome: "/usr/lib/spark"}}
	for _, tc := range []struct{ release, want string }{{"emr-7.2.0-latest", "b"}, {"emr-7.10.0-latest", "a"}, {"emr-7.1.0-20240101", "a"}} {
		if im, err := imageFor(images, tc.release); err != nil || im.Image != tc.want {
			t.Errorf("%s: %v %v, want %s", tc.release, im, err, tc.want)
		}
	}
	if _, err := imageFor(images, "emr-6.9.0-latest"); err == nil {
		t.Error("emr-6 has no image but one was picked")
	}
	if got := entryPointIn(Image{SparkHome: "/opt/spark"}, "local:///usr/lib/spark/examples/x.py"); got != "local:///opt/spark/examples/x.py" {
		t.Errorf("entry point mapped to %s", got)
	}
	for _, keep := range []string{"s3://b/x.py", "local:///home/x.py"} {
		if got := entryPointIn(Image{SparkHome: "/opt/spark"}, keep); got != keep {
			t.Errorf("%s mapped to %s", keep, got)
		}
	}
}

func testRun(params string, cfg ...emr.Configuration) (*emr.VirtualCluster, *emr.JobRun) {
	vc := &emr.VirtualCluster{ID: "vc1", ContainerProvider: emr.ContainerProvider{Type: "EKS", ID: "dev",
		Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: "ns1"}}}}
	run := &emr.JobRun{ID: "0000000000000000001", VirtualClusterID: "vc1", ReleaseLabel: "emr-7.2.0-latest",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/r",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
			EntryPoint: "local:///usr/lib/spark/examples/src/main/python/pi.py", EntryPointArguments: []string{"5"}, SparkSubmitParameters: params}},
		ConfigurationOverrides: &emr.ConfigurationOverrides{ApplicationConfiguration: cfg}}
	return vc, run
}

// TestSparkDefaultsPrecedence: runtime defaults < server defaults <
// spark-defaults classification in the file; parameters stay on the
// command line, where spark-submit gives them the last word.
func TestSparkDefaultsPrecedence(t *testing.T) {
	vc, run := testRun("--conf spark.driver.memory=5G --class org.X",
		emr.Configuration{Classification: "spark-defaults", Properties: map[string]string{"spark.driver.memory": "4G", "spark.executor.memory": "3G"}})
	p, err := newPlan(vc, run, &Options{SparkDefaults: map[string]string{"spark.executor.memory": "2G", "spark.ui.enabled": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	file := p.sub.DefaultsFile()
	for _, want := range []string{"spark.driver.memory 4G\n", "spark.executor.memory 3G\n", "spark.ui.enabled false\n", "spark.executor.cores 1\n"} {
		if !strings.Contains(file, want) {
			t.Errorf("spark-defaults.conf lacks %q:\n%s", want, file)
		}
	}
	args := strings.Join(p.args(), " ")
	if !strings.Contains(args, "--conf spark.driver.memory=5G") || !strings.Contains(args, "--class org.X") ||
		!strings.HasSuffix(args, "local:///opt/spark/examples/src/main/python/pi.py 5") {
		t.Errorf("args %s", args)
	}
}

// s3:// and s3a:// reach the configured storage through S3A; the
// operator's defaults and the run's classification still win.
func TestSparkDefaultsMapS3ToS3A(t *testing.T) {
	vc, run := testRun("", emr.Configuration{Classification: "spark-defaults", Properties: map[string]string{"spark.hadoop.fs.s3a.path.style.access": "false"}})
	p, err := newPlan(vc, run, &Options{S3A: sparksubmit.S3A{Endpoint: "http://10.0.0.5:7070", Region: "us-west-2", PathStyle: true},
		SparkDefaults: map[string]string{"spark.hadoop.fs.s3a.endpoint.region": "eu-west-1"}})
	if err != nil {
		t.Fatal(err)
	}
	file := p.sub.DefaultsFile()
	for _, want := range []string{"spark.hadoop.fs.s3.impl org.apache.hadoop.fs.s3a.S3AFileSystem\n", "spark.hadoop.fs.s3a.endpoint http://10.0.0.5:7070\n",
		"spark.hadoop.fs.s3a.connection.ssl.enabled false\n", "spark.hadoop.fs.s3a.endpoint.region eu-west-1\n", "spark.hadoop.fs.s3a.path.style.access false\n"} {
		if !strings.Contains(file, want) {
			t.Errorf("spark-defaults.conf lacks %q:\n%s", want, file)
		}
	}
	if strings.Contains(file, "credentials.provider") {
		t.Errorf("spark-defaults.conf names a credentials provider; pods have their own (IRSA, the role's secret):\n%s", file)
	}
}

func TestUserPodTemplateIsFilteredAndMerged(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "driver.yaml")
	tmpl := `
apiVersion: v1
kind: Pod
metadata:
  labels: {team: data, emr-containers.amazonaws.com/job.id: spoofed}
spec:
  serviceAccountName: root-everything
  nodeSelector: {pool: spark}
  tolerations: [{key: spot, operator: Exists}]
  containers:
  - name: spark-kubernetes-driver
    image: evil/image
    command: [sh]
    env: [{name: A, value: "1"}]
    securityContext: {privileged: true}
  - name: sidecar
    image: busybox
`
	if err := os.WriteFile(path, []byte(tmpl), 0o644); err != nil {
		t.Fatal(err)
	}
	vc, run := testRun("--conf spark.kubernetes.driver.podTemplateFile=" + path)
	p, err := newPlan(vc, run, &Options{PodTemplateDirs: []string{dir}})
	if err != nil {
		t.Fatal(err)
	}
	d := p.driver
	if d.Labels["team"] != "data" || d.Labels[LabelJobID] != run.ID || d.Labels[LabelComponent] != ComponentDriver {
		t.Errorf("labels %v", d.Labels)
	}
	if d.Spec.ServiceAccountName != "" || d.Spec.NodeSelector["pool"] != "spark" || len(d.Spec.Tolerations) != 1 {
		t.Errorf("spec not filtered by the allow-list: %+v", d.Spec)
	}
	main := d.Spec.Containers[0]
	if main.Name != driverContainer || main.Image != "" || main.Command != nil || main.SecurityContext != nil || len(main.Env) != 1 {
		t.Errorf("main container not filtered: %+v", main)
	}
	if len(d.Spec.Containers) != 2 || d.Spec.Containers[1].Image != "busybox" {
		t.Errorf("sidecar lost: %+v", d.Spec.Containers)
	}
	if strings.Contains(strings.Join(p.args(), " "), path) {
		t.Errorf("the user's template path reaches spark-submit: %v", p.args())
	}
	// Without a template the executor still gets the main container and the labels.
	if e := p.executor; len(e.Spec.Containers) != 1 || e.Spec.Containers[0].Name != executorContainer || e.Labels[LabelComponent] != ComponentExecutor {
		t.Errorf("executor template %+v", e)
	}
}

// TestCodeInS3PassesThrough: Spark fetches s3:// code itself (through
// S3A, with the role's credentials), so the runtime hands it on as given.
func TestCodeInS3PassesThrough(t *testing.T) {
	vc, run := testRun("--py-files s3://b/lib.zip --jars s3a://b/x.jar")
	run.JobDriver.SparkSubmitJobDriver.EntryPoint = "s3://b/app.py"
	p, err := newPlan(vc, run, &Options{})
	if err != nil {
		t.Fatalf("newPlan: %v", err)
	}
	args := strings.Join(p.args(), " ")
	for _, want := range []string{"--py-files s3://b/lib.zip", "--jars s3a://b/x.jar", "s3://b/app.py 5"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
}

func TestPlanErrors(t *testing.T) {
	vc, run := testRun("")
	run.ExecutionRoleARN = "arn:aws:iam::123456789012:user/x"
	if _, err := newPlan(vc, run, &Options{}); err == nil {
		t.Error("a user ARN was accepted as execution role")
	}
	vc, run = testRun("--conf spark.kubernetes.executor.podTemplateFile=s3://bucket/t.yaml")
	if _, err := newPlan(vc, run, &Options{}); err == nil || !strings.Contains(err.Error(), "s3://bucket/t.yaml") {
		t.Errorf("s3 pod template: %v", err)
	}
}

func TestObserve(t *testing.T) {
	job := jobWith()
	pod := func(component string, phase corev1.PodPhase, mod func(*corev1.Pod)) *corev1.Pod {
		p := &corev1.Pod{}
		p.Name, p.Labels, p.Status.Phase = component, map[string]string{LabelComponent: component}, phase
		if mod != nil {
			mod(p)
		}
		return p
	}
	oom := func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: driverContainer, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "OOMKilled"}}}}
	}
	exit1 := func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: driverContainer, State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: 1, Reason: "Error"}}}}
	}
	evicted := func(p *corev1.Pod) { p.Status.Reason, p.Status.Message = "Evicted", "low on memory" }
	pull := func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Image: "x", State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ErrImagePull"}}}}
	}
	for _, tc := range []struct {
		name    string
		job     bool
		failed  bool
		pods    []*corev1.Pod
		phase   runtime.Phase
		details string
		explain string // the pod whose log tells the cause
	}{
		{"no job", false, false, nil, runtime.PhaseUnknown, "", ""},
		{"job only", true, false, nil, runtime.PhaseSubmitted, "", ""},
		{"runner running", true, false, []*corev1.Pod{pod(ComponentSubmitter, corev1.PodRunning, nil)}, runtime.PhaseSubmitted, "", ""},
		{"driver running", true, false, []*corev1.Pod{pod(ComponentDriver, corev1.PodRunning, nil)}, runtime.PhaseRunning, "", ""},
		{"driver done", true, false, []*corev1.Pod{pod(ComponentDriver, corev1.PodSucceeded, nil)}, runtime.PhaseSucceeded, "", ""},
		{"driver oom", true, false, []*corev1.Pod{pod(ComponentDriver, corev1.PodFailed, oom)}, runtime.PhaseFailed, "OOMKilled", ""},
		{"driver image", true, false, []*corev1.Pod{pod(ComponentDriver, corev1.PodPending, pull)}, runtime.PhaseFailed, "cannot be pulled", ""},
		{"runner image", true, false, []*corev1.Pod{pod(ComponentSubmitter, corev1.PodPending, pull)}, runtime.PhaseFailed, "cannot be pulled", ""},
		{"job failed", true, true, nil, runtime.PhaseFailed, "job runner failed", ""},
		{"driver wins over a failed job", true, true, []*corev1.Pod{pod(ComponentDriver, corev1.PodRunning, nil)}, runtime.PhaseRunning, "", ""},
		{"driver failed", true, false, []*corev1.Pod{pod(ComponentDriver, corev1.PodFailed, exit1)}, runtime.PhaseFailed, "exited with code 1", ComponentDriver},
		{"runner failed", true, true, []*corev1.Pod{pod(ComponentSubmitter, corev1.PodFailed, exit1)}, runtime.PhaseFailed, "spark-submit failed in job runner pod", ComponentSubmitter},
		{"runner evicted", true, true, []*corev1.Pod{pod(ComponentSubmitter, corev1.PodFailed, evicted)}, runtime.PhaseFailed, "evicted", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			j := job
			if !tc.job {
				j = nil
			} else if tc.failed {
				j = jobWith(corev1.ConditionTrue)
			}
			got, explain := observe(j, tc.pods)
			if got.Phase != tc.phase || !strings.Contains(got.Details, tc.details) {
				t.Errorf("got %v %q, want %v with %q", got.Phase, got.Details, tc.phase, tc.details)
			}
			if name := podName(explain); name != tc.explain {
				t.Errorf("pod whose log explains the failure: %q, want %q", name, tc.explain)
			}
		})
	}
}

func podName(p *corev1.Pod) string {
	if p == nil {
		return ""
	}
	return p.Name
}

// jobWith returns a Job, failed when a condition status is given.
func jobWith(failed ...corev1.ConditionStatus) *batchv1.Job {
	j := &batchv1.Job{}
	j.Name = "0000000000000000001"
	for _, s := range failed {
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: batchv1.JobFailed, Status: s, Reason: "BackoffLimitExceeded"})
	}
	return j
}

func TestDefaultImagesFollowTheReleaseTable(t *testing.T) {
	for _, tc := range []struct{ release, want string }{
		{"emr-7.2.0-latest", "apache/spark:3.5.7-java17-python3"},
		{"emr-7.13.0-java11-20250101", "apache/spark:3.5.7-java17-python3"},
		{"emr-6.9.0-latest", "apache/spark-py:v3.3.0"},
		{"emr-6.12.0-java17-latest", "apache/spark:3.4.0-scala2.12-java11-python3-ubuntu"},
		{"emr-6.15.0-20240105", "apache/spark:3.4.1-scala2.12-java11-python3-ubuntu"},
		{"emr-6.2.0-latest", "apache/spark-py:v3.0.1"},
		{"emr-spark-8.0.0-latest", "apache/spark:4.0.2-scala2.13-java17-python3-ubuntu"},
	} {
		if im, err := imageFor(DefaultImages, tc.release); err != nil || im.Image != tc.want || im.SparkHome != "/opt/spark" {
			t.Errorf("%s: %+v %v, want %s", tc.release, im, err, tc.want)
		}
	}
	if im, err := imageFor(DefaultImages, "emr-5.36.0-latest"); err == nil {
		t.Errorf("emr-5.36.0 (Spark 2.4.8) got the default image %s", im.Image)
	}
}

// A run's driver exposes Spark's metrics to Prometheus and its pod carries
// the scrape annotations, unless the server or the run says otherwise.
func TestSparkMetricsForPrometheus(t *testing.T) {
	vc, run := testRun("")
	p, err := newPlan(vc, run, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	file := p.sub.DefaultsFile()
	for _, want := range []string{"spark.ui.prometheus.enabled true\n",
		"spark.metrics.conf.*.sink.prometheusServlet.class org.apache.spark.metrics.sink.PrometheusServlet\n",
		"spark.metrics.conf.*.sink.prometheusServlet.path /metrics/prometheus\n",
		"spark.kubernetes.driver.annotation.prometheus.io/scrape true\n",
		"spark.kubernetes.driver.annotation.prometheus.io/path /metrics/executors/prometheus/\n",
		"spark.kubernetes.driver.annotation.prometheus.io/port 4040\n"} {
		if !strings.Contains(file, want) {
			t.Errorf("spark-defaults.conf lacks %q:\n%s", want, file)
		}
	}

	vc, run = testRun("", emr.Configuration{Classification: "spark-defaults",
		Properties: map[string]string{"spark.kubernetes.driver.annotation.prometheus.io/scrape": "false"}})
	p, err = newPlan(vc, run, &Options{SparkDefaults: map[string]string{"spark.ui.prometheus.enabled": "false"}})
	if err != nil {
		t.Fatal(err)
	}
	file = p.sub.DefaultsFile()
	for _, want := range []string{"spark.ui.prometheus.enabled false\n", "spark.kubernetes.driver.annotation.prometheus.io/scrape false\n"} {
		if !strings.Contains(file, want) {
			t.Errorf("overridden: spark-defaults.conf lacks %q:\n%s", want, file)
		}
	}
}
