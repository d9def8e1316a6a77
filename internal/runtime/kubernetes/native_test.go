package kubernetes

import (
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

func nativeRun(params string, cfg ...emr.Configuration) (*emr.VirtualCluster, *emr.JobRun) {
	cfg = append(cfg, emr.Configuration{Classification: "sparkplane", Properties: map[string]string{"submissionMode": "native"}})
	vc, run := testRun(params, cfg...)
	run.CreatedAt = time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC)
	return vc, run
}

func envOf(c corev1.Container) map[string]corev1.EnvVar {
	m := map[string]corev1.EnvVar{}
	for _, e := range c.Env {
		m[e.Name] = e
	}
	return m
}

// The native driver of pi.py: Spark's names, labels, command, environment,
// resources and properties, and the same objects when built again.
func TestNativeDriverOfPythonApp(t *testing.T) {
	vc, run := nativeRun("--conf spark.executor.instances=2 --conf spark.driver.cores=1")
	p, err := newPlan(vc, run, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	r := &Runtime{opts: Options{}}
	if m := r.mode(run); m != emr.SubmitNative {
		t.Fatalf("mode %s, want native", m)
	}
	s, err := p.nativeSpec(run.CreatedAt, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	pod := s.pod
	if pod.Name != "spark-0000000000000000001-driver" || pod.Namespace != "ns1" || pod.Spec.RestartPolicy != corev1.RestartPolicyNever {
		t.Errorf("pod %s/%s restart %s", pod.Namespace, pod.Name, pod.Spec.RestartPolicy)
	}
	if !strings.HasPrefix(s.appID, "spark-") || len(s.appID) != 38 {
		t.Errorf("app id %q", s.appID)
	}
	for k, v := range map[string]string{"spark-role": "driver", "spark-app-selector": s.appID, "spark-app-name": "pi-py",
		"spark-version": "3.5.7", LabelJobID: run.ID, LabelVirtualCluster: "vc1", LabelComponent: ComponentDriver, LabelAttempt: "1"} {
		if pod.Labels[k] != v {
			t.Errorf("label %s=%q, want %q", k, pod.Labels[k], v)
		}
	}
	if pod.Spec.ServiceAccountName != p.who.serviceAccount("driver") {
		t.Errorf("service account %s", pod.Spec.ServiceAccountName)
	}
	c := pod.Spec.Containers[len(pod.Spec.Containers)-1]
	wantArgs := []string{"driver", "--properties-file", "/opt/spark/conf/spark.properties", "--class", "org.apache.spark.deploy.PythonRunner",
		"local:///opt/spark/examples/src/main/python/pi.py", "5"}
	if c.Name != driverContainer || !reflect.DeepEqual(c.Args, wantArgs) {
		t.Errorf("container %s args %q, want %q", c.Name, c.Args, wantArgs)
	}
	env := envOf(c)
	if env["SPARK_APPLICATION_ID"].Value != s.appID || env["SPARK_CONF_DIR"].Value != "/opt/spark/conf" ||
		env["SPARK_DRIVER_BIND_ADDRESS"].ValueFrom == nil || !strings.HasPrefix(env["SPARK_LOCAL_DIRS"].Value, "/var/data/spark-") {
		t.Errorf("env %v", c.Env)
	}
	// 1G of a non-JVM application: 0.4 overhead, 1024 + 409 MiB.
	if mem := c.Resources.Limits[corev1.ResourceMemory]; mem.String() != "1433Mi" {
		t.Errorf("memory limit %s, want 1433Mi", mem.String())
	}
	if cpu := c.Resources.Requests[corev1.ResourceCPU]; cpu.String() != "1" {
		t.Errorf("cpu request %s, want 1", cpu.String())
	}
	props := s.props
	for k, v := range map[string]string{"spark.app.id": s.appID, "spark.app.name": "pi.py", "spark.driver.port": "7078",
		"spark.driver.blockManager.port": "7079", "spark.kubernetes.resource.type": "python", "spark.submit.deployMode": "cluster",
		"spark.kubernetes.memoryOverheadFactor": "0.4", "spark.kubernetes.submitInDriver": "true",
		"spark.driver.host": s.service.Name + ".ns1.svc", "spark.executor.instances": "2",
		"spark.kubernetes.executor.podTemplateFile": "/opt/spark/pod-template/pod-spec-template.yml"} {
		if props[k] != v {
			t.Errorf("%s=%q, want %q", k, props[k], v)
		}
	}
	for k := range props {
		if strings.Contains(k, "submissionMode") || strings.HasPrefix(k, "sparkplane") {
			t.Errorf("the sparkplane classification leaked into Spark: %s", k)
		}
	}
	if s.service.Spec.ClusterIP != corev1.ClusterIPNone || !reflect.DeepEqual(s.service.Spec.Selector, pod.Labels) && s.service.Spec.Selector["spark-app-selector"] != s.appID {
		t.Errorf("service %+v", s.service.Spec)
	}
	if !strings.HasPrefix(s.confMap.Name, "spark-drv-") || !strings.HasSuffix(s.confMap.Name, "-conf-map") ||
		!strings.Contains(s.confMap.Data["spark.properties"], "spark.app.id="+s.appID) {
		t.Errorf("conf map %s: %v", s.confMap.Name, s.confMap.Data)
	}
	again, err := p.nativeSpec(run.CreatedAt, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if again.appID != s.appID || again.confMap.Name != s.confMap.Name || again.service.Name != s.service.Name || again.templateMap.Name != s.templateMap.Name ||
		!reflect.DeepEqual(again.pod, s.pod) {
		t.Error("building the same attempt again gives other objects")
	}
	run.RetryPolicyExecution = &emr.RetryPolicyExecution{CurrentAttemptCount: 2}
	p2, err := newPlan(vc, run, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	next, err := p2.nativeSpec(run.CreatedAt, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if next.pod.Name == s.pod.Name || next.appID == s.appID || next.confMap.Name == s.confMap.Name {
		t.Error("a second attempt reuses the first one's names")
	}
}

// A JVM application: its jar joins spark.jars, 0.1 overhead, its class.
func TestNativeDriverOfJVMApp(t *testing.T) {
	vc, run := nativeRun("--class org.example.Main --jars local:///opt/lib/a.jar --driver-memory 2g")
	run.JobDriver.SparkSubmitJobDriver.EntryPoint = "s3://bucket/app.jar"
	p, err := newPlan(vc, run, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	s, err := p.nativeSpec(run.CreatedAt, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	c := s.pod.Spec.Containers[len(s.pod.Spec.Containers)-1]
	if got := c.Args[3:6]; !reflect.DeepEqual(got, []string{"--class", "org.example.Main", "s3://bucket/app.jar"}) {
		t.Errorf("args %q", c.Args)
	}
	if s.props["spark.jars"] != "local:///opt/lib/a.jar,s3://bucket/app.jar" || s.props["spark.app.name"] != "org.example.Main" ||
		s.props["spark.kubernetes.resource.type"] != "java" || s.props["spark.kubernetes.memoryOverheadFactor"] != "0.1" {
		t.Errorf("props %v", s.props)
	}
	if mem := c.Resources.Limits[corev1.ResourceMemory]; mem.String() != "2432Mi" { // 2048 + 384
		t.Errorf("memory %s, want 2432Mi", mem.String())
	}
}

// What native submission cannot do as Spark would is refused as a
// validation error that says what to do.
func TestNativeRefuses(t *testing.T) {
	for params, want := range map[string]string{
		"--jars /home/me/a.jar": "uploads nothing",
		"--conf spark.kubernetes.driver.volumes.hostPath.x.mount.path=/x": "spark.kubernetes.driver.volumes",
		"--conf spark.driver.host=h":                                      "spark.driver.host",
	} {
		vc, run := nativeRun(params)
		p, err := newPlan(vc, run, &Options{})
		if err != nil {
			t.Fatal(err)
		}
		_, err = p.nativeSpec(run.CreatedAt, time.Now())
		se, ok := runtime.AsSubmitError(err)
		if !ok || se.Reason != emr.FailureValidation || !strings.Contains(se.Message, want) {
			t.Errorf("%s: %v, want a validation error about %s", params, err, want)
		}
	}
	vc, run := nativeRun("")
	run.JobDriver.SparkSubmitJobDriver.EntryPoint = "s3://b/app.jar"
	p, _ := newPlan(vc, run, &Options{})
	if _, err := p.nativeSpec(run.CreatedAt, time.Now()); err == nil || !strings.Contains(err.Error(), "--class") {
		t.Errorf("a jar without --class: %v", err)
	}
}

func TestJavaPropertiesEscapes(t *testing.T) {
	got := javaProperties(map[string]string{"a key": " v=1:#!\\\n", "b": "x y"}, "c", time.Date(2026, 12, 5, 1, 2, 3, 0, time.UTC))
	want := "#c\n#Sat Dec 05 01:02:03 UTC 2026\na\\ key=\\ v\\=1\\:\\#\\!\\\\\\n\nb=x y\n"
	if got != want {
		t.Errorf("got %q\nwant %q", got, want)
	}
	if v := sparkVersionOf("apache/spark-py:v3.3.0"); v != "3.3.0" {
		t.Errorf("version %q", v)
	}
	if n := resourceNamePrefix("Pi.py", "abc"); n != "pi-py-abc" {
		t.Errorf("prefix %q", n)
	}
}

// A run's mode: its own choice, else the cluster's; a spark-sql file is
// always native (Apache spark-submit refuses its SQL shell in cluster mode).
func TestSubmissionModeOfARun(t *testing.T) {
	_, runner := testRun("")
	_, native := nativeRun("")
	_, sql := testRun("", emr.Configuration{Classification: "sparkplane", Properties: map[string]string{"submissionMode": "job-runner"}})
	sql.JobDriver = &emr.JobDriver{SparkSQLJobDriver: &emr.SparkSQLJobDriver{EntryPoint: "local:///q.sql"}}
	for _, c := range []struct {
		def  emr.SubmissionMode
		run  *emr.JobRun
		want emr.SubmissionMode
	}{
		{"", runner, emr.SubmitJobRunner},
		{emr.SubmitNative, runner, emr.SubmitNative},
		{"", native, emr.SubmitNative},
		{emr.SubmitJobRunner, native, emr.SubmitNative},
		{"", sql, emr.SubmitNative},
		{emr.SubmitJobRunner, sql, emr.SubmitNative},
	} {
		r := &Runtime{opts: Options{SubmissionMode: c.def}}
		if got := r.mode(c.run); got != c.want {
			t.Errorf("cluster %q, run %+v: mode %s, want %s", c.def, c.run.JobDriver, got, c.want)
		}
	}
}
