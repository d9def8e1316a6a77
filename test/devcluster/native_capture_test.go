package devcluster

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
)

// Submission modes (the sparkplane classification's submissionMode).
const (
	modeJobRunner = "job-runner"
	modeNative    = "native"
)

// submissionModes are the modes every behaviour test runs in.
var submissionModes = []string{modeJobRunner, modeNative}

// modeOverrides select mode for one run.
func modeOverrides(mode string) *types.ConfigurationOverrides {
	return &types.ConfigurationOverrides{ApplicationConfiguration: []types.Configuration{{
		Classification: aws.String("sparkplane"), Properties: map[string]string{"submissionMode": mode}}}}
}

// startRunMode starts a job run of driver on emr-7.2.0-latest in the given
// submission mode with the Go SDK and returns its id.
func startRunMode(t *testing.T, vc, name, mode string, driver *types.JobDriver) string {
	t.Helper()
	out, err := sdk().StartJobRun(context.Background(), &emrcontainers.StartJobRunInput{
		VirtualClusterId: &vc, Name: &name, ClientToken: aws.String(name + "-" + mode + "-" + time.Now().Format(time.RFC3339Nano)),
		ExecutionRoleArn: aws.String("arn:aws:iam::123456789012:role/emr-job"), ReleaseLabel: aws.String("emr-7.2.0-latest"),
		JobDriver: driver, ConfigurationOverrides: modeOverrides(mode)})
	if err != nil {
		t.Fatalf("start %s in %s mode: %v", name, mode, err)
	}
	return aws.ToString(out.Id)
}

// submitDriver is a sparkSubmitJobDriver.
func submitDriver(entryPoint, params string, args ...string) *types.JobDriver {
	return &types.JobDriver{SparkSubmitJobDriver: &types.SparkSubmitJobDriver{EntryPoint: &entryPoint,
		SparkSubmitParameters: &params, EntryPointArguments: args}}
}

// nsObjects records the first version the API server showed of every pod,
// ConfigMap and Service of a namespace: what their creator sent.
type nsObjects struct {
	mu         sync.Mutex
	pods       map[string]*corev1.Pod
	configMaps map[string]*corev1.ConfigMap
	services   map[string]*corev1.Service
}

// watchNamespace records the objects of ns from now until the test ends.
func watchNamespace(t *testing.T, ns string) *nsObjects {
	t.Helper()
	o := &nsObjects{pods: map[string]*corev1.Pod{}, configMaps: map[string]*corev1.ConfigMap{}, services: map[string]*corev1.Service{}}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	follow := func(open func(context.Context) (watch.Interface, error)) {
		for ctx.Err() == nil {
			w, err := open(ctx)
			if err != nil {
				time.Sleep(100 * time.Millisecond)
				continue
			}
			for ev := range w.ResultChan() {
				if ev.Type == watch.Error {
					continue
				}
				o.mu.Lock()
				switch obj := ev.Object.(type) {
				case *corev1.Pod:
					if _, ok := o.pods[obj.Name]; !ok {
						o.pods[obj.Name] = obj
					}
				case *corev1.ConfigMap:
					if _, ok := o.configMaps[obj.Name]; !ok {
						o.configMaps[obj.Name] = obj
					}
				case *corev1.Service:
					if _, ok := o.services[obj.Name]; !ok {
						o.services[obj.Name] = obj
					}
				}
				o.mu.Unlock()
			}
		}
	}
	go follow(func(ctx context.Context) (watch.Interface, error) {
		return kube.CoreV1().Pods(ns).Watch(ctx, metav1.ListOptions{})
	})
	go follow(func(ctx context.Context) (watch.Interface, error) {
		return kube.CoreV1().ConfigMaps(ns).Watch(ctx, metav1.ListOptions{})
	})
	go follow(func(ctx context.Context) (watch.Interface, error) {
		return kube.CoreV1().Services(ns).Watch(ctx, metav1.ListOptions{})
	})
	return o
}

// driverSpec is what a submission created for the driver: its pod, the
// ConfigMaps it mounts and its Service.
type driverSpec struct {
	Pod        *corev1.Pod
	ConfigMaps map[string]*corev1.ConfigMap // by volume name
	Service    *corev1.Service
}

// driverSpec waits until the driver pod, every ConfigMap it mounts and a
// Service selecting it were seen.
func (o *nsObjects) driverSpec(t *testing.T, timeout time.Duration) *driverSpec {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		if s := o.complete(); s != nil {
			return s
		}
		if time.Now().After(deadline) {
			o.mu.Lock()
			defer o.mu.Unlock()
			var names []string
			for n := range o.pods {
				names = append(names, "pod/"+n)
			}
			for n := range o.configMaps {
				names = append(names, "configmap/"+n)
			}
			for n := range o.services {
				names = append(names, "service/"+n)
			}
			t.Fatalf("no complete driver spec after %v; seen %v", timeout, names)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

func (o *nsObjects) complete() *driverSpec {
	o.mu.Lock()
	defer o.mu.Unlock()
	var driver *corev1.Pod
	for _, p := range o.pods {
		if p.Labels["spark-role"] == "driver" {
			driver = p
		}
	}
	if driver == nil {
		return nil
	}
	s := &driverSpec{Pod: driver, ConfigMaps: map[string]*corev1.ConfigMap{}}
	for _, v := range driver.Spec.Volumes {
		if v.ConfigMap == nil {
			continue
		}
		cm, ok := o.configMaps[v.ConfigMap.Name]
		if !ok {
			return nil
		}
		s.ConfigMaps[v.Name] = cm
	}
	for _, svc := range o.services {
		if svc.Spec.Selector["spark-app-selector"] == driver.Labels["spark-app-selector"] {
			s.Service = svc
		}
	}
	if s.Service == nil {
		return nil
	}
	return s
}

// dumpSpec writes s as JSON under $SPARKPLANE_SPEC_DUMP, when set.
func dumpSpec(t *testing.T, name string, s *driverSpec) {
	dir := os.Getenv("SPARKPLANE_SPEC_DUMP")
	if dir == "" {
		return
	}
	b, _ := json.MarshalIndent(s, "", "  ")
	if err := os.MkdirAll(dir, 0o755); err == nil {
		_ = os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644)
	}
}

// jvmApp compiles a small Spark application in Java into a jar under dir
// (which pods see) and returns its path; its main class is SparkCount.
func jvmApp(t *testing.T, dir string) string {
	t.Helper()
	src := filepath.Join(dir, "SparkCount.java")
	if err := os.WriteFile(src, []byte(sparkCountJava), 0o644); err != nil {
		t.Fatal(err)
	}
	jars := filepath.Join(sparkHome(t), "jars", "*")
	if out, err := exec.Command("javac", "-cp", jars, "-d", dir, src).CombinedOutput(); err != nil {
		t.Fatalf("javac: %v\n%s", err, out)
	}
	jar := filepath.Join(dir, "spark-count.jar")
	if out, err := exec.Command("jar", "cf", jar, "-C", dir, "SparkCount.class").CombinedOutput(); err != nil {
		t.Fatalf("jar: %v\n%s", err, out)
	}
	return jar
}

const sparkCountJava = `
import org.apache.spark.sql.SparkSession;
public class SparkCount {
  public static void main(String[] args) {
    SparkSession spark = SparkSession.builder().appName("spark-count").getOrCreate();
    System.out.println("Counted " + spark.range(Long.parseLong(args[0])).count());
    spark.stop();
  }
}
`

// sparkHome is the installed Spark 3.5 the embedded cluster's Spark images run.
func sparkHome(t *testing.T) string {
	t.Helper()
	matches, _ := filepath.Glob("/var/cache/sparkplane/spark-3.5.*/pyspark")
	if len(matches) == 0 {
		t.Fatal("no Spark 3.5 in /var/cache/sparkplane; run scripts/setup.sh --test")
	}
	return matches[len(matches)-1]
}

// TestNativeSpecCapture records what spark-submit creates (SPARKPLANE_SPEC_DUMP).
func TestNativeSpecCapture(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	jar := jvmApp(t, dir)
	sql := filepath.Join(dir, "q.sql")
	if err := os.WriteFile(sql, []byte("SELECT 1 + 1;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := map[string]*types.JobDriver{
		"python": submitDriver(piEntryPoint, piParams, "10"),
		"jvm":    submitDriver("local://"+jar, "--class SparkCount --jars local:///opt/spark/jars/commons-text-1.10.0.jar --conf spark.executor.instances=1", "1000"),
		"sql":    {SparkSqlJobDriver: &types.SparkSqlJobDriver{EntryPoint: aws.String("local://" + sql), SparkSqlParameters: aws.String("--conf spark.executor.instances=1")}},
	}
	delete(cases, "sql")
	for name, driver := range cases {
		t.Run(name, func(t *testing.T) {
			ns := "cap-" + name
			vc := devVC(t, ns)
			objs := watchNamespace(t, ns)
			id := startRunMode(t, vc, name, modeJobRunner, driver)
			s := objs.driverSpec(t, 3*time.Minute)
			dumpSpec(t, name+"-"+modeJobRunner, s)
			run := waitState(t, vc, id, 5*time.Minute, terminal)
			t.Logf("%s: %s %s", name, run.State, aws.ToString(run.StateDetails))
		})
	}
}
