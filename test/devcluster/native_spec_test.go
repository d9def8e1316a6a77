package devcluster

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"

	k8sruntime "github.com/sparkplane/sparkplane/internal/runtime/kubernetes"
)

// The spec comparison: the same run submitted by the job runner's
// spark-submit and by native submission gives the same driver pod,
// ConfigMaps and Service, field by field, once the names and ids either
// draws are replaced by placeholders. The objects are recorded as the API
// server first showed them (a watch started before the run), i.e. as their
// creator sent them plus the API server's defaults.
func TestNativeSpecMatchesSparkSubmit(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	jar := jvmApp(t, dir)
	cases := []struct {
		name   string
		driver *types.JobDriver
	}{
		{"python", submitDriver(piEntryPoint, piParams, "10")},
		{"jvm", submitDriver("local://"+jar, "--class SparkCount --jars local:///opt/spark/jars/commons-text-1.10.0.jar --conf spark.executor.instances=1", "1000")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			specs := map[string]map[string]any{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for _, mode := range submissionModes {
				wg.Add(1)
				go func() {
					defer wg.Done()
					ns := "spec-" + tc.name + "-" + mode
					vc := devVC(t, ns)
					objs := watchNamespace(t, ns)
					started := time.Now()
					id := startRunMode(t, vc, tc.name, mode, tc.driver)
					s := objs.driverSpec(t, 3*time.Minute)
					objs.mu.Lock()
					t.Logf("%s mode: StartJobRun → driver pod seen by a watch: %v", mode, objs.podSeen[s.Pod.Name].Sub(started).Round(time.Millisecond))
					objs.mu.Unlock()
					n := normalise(t, s, ns, vc, id)
					mu.Lock()
					specs[mode] = n
					mu.Unlock()
					if _, err := sdk().CancelJobRun(context.Background(), &emrcontainers.CancelJobRunInput{VirtualClusterId: &vc, Id: &id}); err != nil {
						t.Errorf("cancel: %v", err)
					}
					waitState(t, vc, id, 3*time.Minute, terminal)
				}()
			}
			wg.Wait()
			if t.Failed() {
				return
			}
			var diffs []string
			diffSpec("", specs[modeJobRunner], specs[modeNative], &diffs)
			for _, d := range diffs {
				if reason, ok := intentionalDifference(d); ok {
					t.Logf("intentional difference %s (%s)", d, reason)
					continue
				}
				t.Errorf("native differs from spark-submit: %s", d)
			}
			if len(specs[modeJobRunner]) == 0 {
				t.Fatal("nothing compared")
			}
		})
	}
}

// intentionalDifferences are the paths where native submission differs
// from spark-submit on purpose, with the reason.
var intentionalDifferences = map[string]string{
	"pod.metadata.labels.spark-version": "the job runner's spark-submit reports the Spark it runs, the embedded cluster's installed 3.5.9 for every 3.5 image; " +
		"native submission reads the image's tag (apache/spark:3.5.7…), or clusters[].images[].sparkVersion",
	"service.spec.selector.spark-version": "the same label in the Service's selector",
	"pod.spec.containers.spark-kubernetes-driver.env.SPARK_USER": "spark-submit names the OS user it runs as (root here: the embedded cluster's pods are host processes); " +
		"native submission names the Apache Spark images' user, spark",
	"pod.spec.containers.spark-kubernetes-driver.env.PYSPARK_PYTHON": "spark-submit copies it from the job runner's environment, which the embedded cluster's image emulation sets; " +
		"native submission sets it only from spark.pyspark.python, and the driver's image gives the same environment",
	"pod.spec.containers.spark-kubernetes-driver.env.PYSPARK_DRIVER_PYTHON": "as PYSPARK_PYTHON",
}

func intentionalDifference(diff string) (string, bool) {
	path, _, _ := strings.Cut(diff, ":")
	for p, reason := range intentionalDifferences {
		if path == p || strings.HasPrefix(path, p+".") {
			return reason, true
		}
	}
	return "", false
}

// A spark-sql file runs in both modes, natively: Spark 3.5's spark-submit
// has no cluster deploy mode for its SQL shell, so there is no spark-submit
// spec to compare with and a job runner would only fail it; the driver runs
// SparkSQLCLIDriver on the file (-f), no job runner pod is made, and the run
// completes.
func TestNativeSQLFile(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sql := filepath.Join(dir, "q.sql")
	if err := os.WriteFile(sql, []byte("SELECT 40 + 2 AS answer;\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	driver := &types.JobDriver{SparkSqlJobDriver: &types.SparkSqlJobDriver{EntryPoint: aws.String("local://" + sql),
		SparkSqlParameters: aws.String("--conf spark.executor.instances=1")}}
	for _, mode := range submissionModes {
		t.Run(mode, func(t *testing.T) {
			ns := modeNamespace("sql", mode)
			vc := devVC(t, ns)
			objs := watchNamespace(t, ns)
			id := startRunMode(t, vc, "sql", mode, driver)
			run := waitState(t, vc, id, 5*time.Minute, terminal)
			if run.State != types.JobRunStateCompleted {
				t.Fatalf("state %s (%s), want COMPLETED\ndriver:\n%s", run.State, aws.ToString(run.StateDetails), runLog(t, vc, id, "driver"))
			}
			if runners := objs.jobRunners(); len(runners) > 0 {
				t.Errorf("job runner pods %v; a SQL file is submitted natively", runners)
			}
			s := objs.complete()
			if s == nil {
				t.Fatal("no driver spec seen")
			}
			c := s.Pod.Spec.Containers[len(s.Pod.Spec.Containers)-1]
			want := []string{"driver", "--properties-file", "/opt/spark/conf/spark.properties", "--class",
				"org.apache.spark.sql.hive.thriftserver.SparkSQLCLIDriver", "spark-internal", "-f", sql}
			if !reflect.DeepEqual(c.Args, want) {
				t.Errorf("driver args %q, want %q", c.Args, want)
			}
			if log := runLog(t, vc, id, "driver"); !strings.Contains(log, "42") {
				t.Errorf("driver log lacks the answer:\n%s", log)
			}
		})
	}
}

// nsObjects records the first version the API server showed of every pod,
// ConfigMap and Service of a namespace: what their creator sent.
type nsObjects struct {
	mu         sync.Mutex
	podSeen    map[string]time.Time // when each pod was first seen
	pods       map[string]*corev1.Pod
	configMaps map[string]*corev1.ConfigMap
	services   map[string]*corev1.Service
}

// watchNamespace records the objects of ns from now until the test ends.
func watchNamespace(t *testing.T, ns string) *nsObjects {
	t.Helper()
	o := &nsObjects{podSeen: map[string]time.Time{}, pods: map[string]*corev1.Pod{}, configMaps: map[string]*corev1.ConfigMap{}, services: map[string]*corev1.Service{}}
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
						o.pods[obj.Name], o.podSeen[obj.Name] = obj, time.Now()
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

// normalise turns a driver spec into plain JSON values with the names and
// ids each submission draws replaced by placeholders, the API server's
// bookkeeping removed, lists of named items keyed by name, and
// spark.properties parsed into its properties.
func normalise(t *testing.T, s *driverSpec, ns, vc, id string) map[string]any {
	t.Helper()
	clean := func(m *metav1.ObjectMeta) {
		m.UID, m.ResourceVersion, m.CreationTimestamp, m.ManagedFields, m.Generation = "", "", metav1.Time{}, nil, 0
	}
	pod := s.Pod.DeepCopy()
	podUID := string(pod.UID)
	clean(&pod.ObjectMeta)
	// A run that waited for room was staged: seen first gated, stamped once
	// submitted.
	delete(pod.Annotations, k8sruntime.AnnotationSubmittedAt)
	if len(pod.Annotations) == 0 {
		pod.Annotations = nil
	}
	pod.Spec.SchedulingGates = slices.DeleteFunc(pod.Spec.SchedulingGates, func(g corev1.PodSchedulingGate) bool { return g.Name == k8sruntime.StagedGate })
	if len(pod.Spec.SchedulingGates) == 0 {
		pod.Spec.SchedulingGates = nil
	}
	pod.Status = corev1.PodStatus{}
	svc := s.Service.DeepCopy()
	clean(&svc.ObjectMeta)
	svc.Status = corev1.ServiceStatus{}
	svc.Spec.ClusterIPs = nil
	cms := map[string]any{}
	var names []string // replaced longest first
	names = append(names, s.Pod.Name, s.Service.Name, strings.TrimSuffix(s.Service.Name, "-driver-svc"))
	for vol, cm := range s.ConfigMaps {
		cm = cm.DeepCopy()
		clean(&cm.ObjectMeta)
		names = append(names, cm.Name)
		var obj map[string]any
		b, _ := json.Marshal(cm)
		_ = json.Unmarshal(b, &obj)
		if props, ok := cm.Data["spark.properties"]; ok {
			parsed := parseProperties(props)
			if _, ok := parsed["spark.app.submitTime"]; ok {
				parsed["spark.app.submitTime"] = "<time>"
			}
			obj["data"].(map[string]any)["spark.properties"] = parsed
		}
		cms[vol] = obj
	}
	appID := s.Pod.Labels["spark-app-selector"]
	var localDir string
	for _, c := range s.Pod.Spec.Containers {
		for _, e := range c.Env {
			if e.Name == "SPARK_LOCAL_DIRS" {
				localDir = e.Value
			}
		}
	}
	b, err := json.Marshal(map[string]any{"pod": pod, "service": svc, "configMaps": cms})
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	sort.Slice(names, func(i, j int) bool { return len(names[i]) > len(names[j]) })
	repl := []string{}
	for i, n := range names {
		repl = append(repl, n, fmt.Sprintf("<name-%d>", i))
	}
	repl = append(repl, podUID, "<pod-uid>", appID, "<app-id>")
	if localDir != "" {
		repl = append(repl, localDir, "<local-dir>")
	}
	repl = append(repl, id, "<run-id>", vc, "<vc-id>", ns, "<ns>")
	text = strings.NewReplacer(repl...).Replace(text)
	text = kubeAPIAccess.ReplaceAllString(text, "kube-api-access")
	var out map[string]any
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		t.Fatal(err)
	}
	return keyByName(out).(map[string]any)
}

var kubeAPIAccess = regexp.MustCompile(`kube-api-access-[a-z0-9]{5}`)

// keyByName turns every list of objects with distinct names into a map by name.
func keyByName(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = keyByName(e)
		}
		return x
	case []any:
		byName := map[string]any{}
		for _, e := range x {
			m, ok := e.(map[string]any)
			name, named := m["name"].(string)
			if !ok || !named {
				byName = nil
				break
			}
			if _, dup := byName[name]; dup {
				byName = nil
				break
			}
			byName[name] = e
		}
		for i, e := range x {
			x[i] = keyByName(e)
		}
		if byName != nil && len(x) > 0 {
			return byName
		}
		return x
	}
	return v
}

// diffSpec lists the paths where a and b differ.
func diffSpec(path string, a, b any, out *[]string) {
	am, aok := a.(map[string]any)
	bm, bok := b.(map[string]any)
	if aok && bok {
		keys := map[string]bool{}
		for k := range am {
			keys[k] = true
		}
		for k := range bm {
			keys[k] = true
		}
		var sorted []string
		for k := range keys {
			sorted = append(sorted, k)
		}
		sort.Strings(sorted)
		for _, k := range sorted {
			p := k
			if path != "" {
				p = path + "." + k
			}
			diffSpec(p, am[k], bm[k], out)
		}
		return
	}
	if !reflect.DeepEqual(a, b) {
		ja, _ := json.Marshal(a)
		jb, _ := json.Marshal(b)
		*out = append(*out, fmt.Sprintf("%s: spark-submit %s, native %s", path, ja, jb))
	}
}

// parseProperties reads a java.util.Properties file as Properties.store
// writes it: comment lines, then key=value lines with backslash escapes.
func parseProperties(text string) map[string]any {
	out := map[string]any{}
	for _, line := range strings.Split(text, "\n") {
		if line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "!") {
			continue
		}
		var key, value strings.Builder
		cur, inKey := &key, true
		for i := 0; i < len(line); i++ {
			ch := line[i]
			switch {
			case ch == '\\' && i+1 < len(line):
				i++
				switch line[i] {
				case 'n':
					cur.WriteByte('\n')
				case 't':
					cur.WriteByte('\t')
				case 'r':
					cur.WriteByte('\r')
				case 'f':
					cur.WriteByte('\f')
				default:
					cur.WriteByte(line[i])
				}
			case inKey && (ch == '=' || ch == ':'):
				cur, inKey = &value, false
			default:
				cur.WriteByte(ch)
			}
		}
		out[key.String()] = value.String()
	}
	return out
}

// jobRunners names the job runner pods seen (pods of a Job).
func (o *nsObjects) jobRunners() []string {
	o.mu.Lock()
	defer o.mu.Unlock()
	var names []string
	for n, p := range o.pods {
		if p.Labels["job-name"] != "" {
			names = append(names, n)
		}
	}
	return names
}
