package podimage

import (
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

var testDist = sparkdist.Dist{SparkHome: "/cache/spark/pyspark", JavaHome: "/jdk", PythonPath: "/cache/spark", Python: "/usr/bin/python3"}

func testMapper(t *testing.T) *Mapper {
	t.Helper()
	m, err := DefaultMapper(testDist, nil)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestResolve(t *testing.T) {
	m := testMapper(t)
	for image, wantSpark := range map[string]bool{
		"apache/spark:3.5.7-java17-python3":                           true,
		"docker.io/apache/spark:3.5.7":                                true,
		"apache/spark@sha256:abcd":                                    true,
		"registry.example.com:5000/team/spark:v1":                     true,
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/spark-py:emr-7": true,
		"busybox:1.36":      false,
		"library/debian:12": false,
	} {
		root, err := m.Resolve(image)
		if err != nil {
			t.Errorf("Resolve(%q): %v", image, err)
			continue
		}
		gotSpark := len(root.Mounts) == 1 && root.Mounts[0] == Mount{Source: testDist.SparkHome, Target: SparkHome}
		if gotSpark != wantSpark || root.Image != image {
			t.Errorf("Resolve(%q) = %+v, want spark root %v", image, root, wantSpark)
		}
	}
	_, err := m.Resolve("nginx:1.25")
	if !errors.Is(err, ErrNotMapped) || !strings.Contains(err.Error(), `"nginx:1.25"`) || !strings.Contains(err.Error(), "devCluster.images") {
		t.Errorf("unmapped image: %v", err)
	}
}

func TestNewMapperRejectsBadPattern(t *testing.T) {
	for _, p := range []string{"", "[a-"} {
		if _, err := NewMapper(Rule{Match: p}); err == nil {
			t.Errorf("pattern %q accepted", p)
		}
	}
}

func TestOwnRulesComeFirst(t *testing.T) {
	m, err := DefaultMapper(testDist, nil, Rule{Match: "apache/spark", WorkingDir: "/mine"})
	if err != nil {
		t.Fatal(err)
	}
	root, err := m.Resolve("apache/spark:3.5.7")
	if err != nil || root.WorkingDir != "/mine" {
		t.Fatalf("own rule not used: %+v %v", root, err)
	}
}

func TestSparkCommand(t *testing.T) {
	root, err := testMapper(t).Resolve("apache/spark:3.5.7")
	if err != nil {
		t.Fatal(err)
	}
	executorEnv := map[string]string{
		"SPARK_DRIVER_URL": "spark://CoarseGrainedScheduler@drv.ns.svc:7078", "SPARK_EXECUTOR_ID": "2",
		"SPARK_EXECUTOR_CORES": "1", "SPARK_APPLICATION_ID": "spark-abc", "SPARK_EXECUTOR_POD_IP": "10.244.0.9",
		"SPARK_EXECUTOR_MEMORY": "1024m", "SPARK_RESOURCE_PROFILE_ID": "0", "SPARK_EXECUTOR_POD_NAME": "pi-exec-2",
		"SPARK_JAVA_OPT_10": "-Dten", "SPARK_JAVA_OPT_2": "-Dtwo", "JAVA_HOME": "/jdk",
	}
	tests := []struct {
		name          string
		command, args []string
		env           map[string]string
		want          []string
		wantErr       string
	}{
		{name: "driver", args: []string{"driver", "--properties-file", "/opt/spark/conf/spark.properties", "--class", "org.apache.spark.deploy.PythonRunner", "local:///opt/spark/pi.py"},
			env: map[string]string{"SPARK_DRIVER_BIND_ADDRESS": "10.244.0.5"},
			want: []string{"/opt/spark/bin/spark-submit", "--conf", "spark.driver.bindAddress=10.244.0.5", "--conf", "spark.executorEnv.SPARK_DRIVER_POD_IP=10.244.0.5",
				"--deploy-mode", "client", "--properties-file", "/opt/spark/conf/spark.properties", "--class", "org.apache.spark.deploy.PythonRunner", "local:///opt/spark/pi.py"}},
		{name: "executor", args: []string{"executor"}, env: executorEnv,
			want: []string{"/jdk/bin/java", "-Dtwo", "-Dten", "-Xms1024m", "-Xmx1024m", "-cp", "/opt/spark/conf:/opt/spark/jars/*",
				"org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend", "--driver-url", "spark://CoarseGrainedScheduler@drv.ns.svc:7078",
				"--executor-id", "2", "--cores", "1", "--app-id", "spark-abc", "--hostname", "10.244.0.9", "--resourceProfileId", "0", "--podName", "pi-exec-2"}},
		{name: "executor with extraClassPath keeps Spark's jars", args: []string{"executor"}, env: with(executorEnv, "SPARK_CLASSPATH", "/opt/extra/*", "SPARK_CONF_DIR", "/opt/spark/conf2"),
			want: []string{"/jdk/bin/java", "-Dtwo", "-Dten", "-Xms1024m", "-Xmx1024m", "-cp", "/opt/spark/conf2:/opt/extra/*:/opt/spark/jars/*",
				"org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend", "--driver-url", "spark://CoarseGrainedScheduler@drv.ns.svc:7078",
				"--executor-id", "2", "--cores", "1", "--app-id", "spark-abc", "--hostname", "10.244.0.9", "--resourceProfileId", "0", "--podName", "pi-exec-2"}},
		{name: "executor without driver env", args: []string{"executor"}, env: map[string]string{}, wantErr: "SPARK_DRIVER_URL is not set"},
		{name: "other args run as a command", args: []string{"/opt/spark/bin/spark-submit", "--version"}, want: []string{"/opt/spark/bin/spark-submit", "--version"}},
		{name: "command overrides the entrypoint", command: []string{"/bin/sh", "-c"}, args: []string{"echo hi"}, want: []string{"/bin/sh", "-c", "echo hi"}},
		{name: "no args", wantErr: "no args"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := root.Command(tt.command, tt.args, tt.env)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want %q", err, tt.wantErr)
				}
				return
			}
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("got %q, %v\nwant %q", got, err, tt.want)
			}
		})
	}
}

func TestHostImageNeedsACommand(t *testing.T) {
	root, err := testMapper(t).Resolve("busybox")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := root.Command(nil, nil, nil); err == nil {
		t.Fatal("no command accepted")
	}
	got, err := root.Command(nil, []string{"sh", "-c", "true"}, nil)
	if err != nil || !reflect.DeepEqual(got, []string{"sh", "-c", "true"}) {
		t.Fatalf("got %q %v", got, err)
	}
}

// with returns a copy of env with the key/value pairs kv set.
func with(env map[string]string, kv ...string) map[string]string {
	out := make(map[string]string, len(env)+len(kv)/2)
	for k, v := range env {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

func TestTagVersion(t *testing.T) {
	for image, want := range map[string]string{
		"apache/spark:3.5.7-java17-python3":                           "3.5.7",
		"apache/spark:3.4.4-scala2.12-java11-python3-ubuntu":          "3.4.4",
		"apache/spark-py:v3.3.0":                                      "3.3.0",
		"spark:4.0.2-scala2.13-java17-python3-ubuntu":                 "4.0.2",
		"docker.io/library/spark:3.5.7":                               "3.5.7",
		"registry.example.com:5000/team/spark:3.2.1@sha256:abc":       "3.2.1",
		"apache/spark-py:v2.4.8":                                      "2.4.8",
		"apache/spark:latest":                                         "",
		"apache/spark:3.5":                                            "",
		"apache/spark:python3":                                        "",
		"apache/spark":                                                "",
		"apache/spark@sha256:abcd":                                    "",
		"registry.example.com:5000/team/spark":                        "",
		"registry.example.com:5000/team/spark:v1":                     "",
		"123456789012.dkr.ecr.us-east-1.amazonaws.com/spark-py:emr-7": "",
		"apache/spark:3.5.x":                                          "",
		"apache/spark:3..7":                                           "",
		"apache/spark:+3.5.7":                                         "",
	} {
		got, ok := TagVersion(image)
		if got != want || ok != (want != "") {
			t.Errorf("TagVersion(%q) = %q, %v; want %q", image, got, ok, want)
		}
	}
}

func TestSparkImagesRunTheirTagsVersion(t *testing.T) {
	spark33 := sparkdist.Dist{SparkHome: "/cache/spark-3.3.0/pyspark", JavaHome: "/jdk", PythonPath: "/cache/spark-3.3.0", Python: "/usr/bin/python3"}
	var asked []string
	m, err := DefaultMapper(testDist, func(version string) (sparkdist.Dist, error) {
		asked = append(asked, version)
		switch version {
		case "3.3.0":
			return spark33, nil
		case "3.4.4":
			return sparkdist.Dist{}, fmt.Errorf("%w: installing 3.4.4", ErrPending)
		}
		return sparkdist.Dist{}, Unavailable(fmt.Errorf("spark %s cannot run here", version))
	})
	if err != nil {
		t.Fatal(err)
	}
	for image, want := range map[string]string{
		"apache/spark-py:v3.3.0":      spark33.SparkHome,
		"spark:3.3.0-java11":          spark33.SparkHome,
		"apache/spark:latest":         testDist.SparkHome, // no version: the installed Spark
		"example.com/team/spark:v1.2": testDist.SparkHome,
	} {
		root, err := m.Resolve(image)
		if err != nil || len(root.Mounts) != 1 || root.Mounts[0] != (Mount{Source: want, Target: SparkHome}) {
			t.Errorf("Resolve(%q) = %+v, %v; want %s at %s", image, root, err, want, SparkHome)
			continue
		}
		if want == spark33.SparkHome && !slices.Contains(root.Env, "PYTHONPATH="+spark33.PythonPath) {
			t.Errorf("Resolve(%q) env = %q", image, root.Env)
		}
	}
	if _, err := m.Resolve("apache/spark:3.4.4-scala2.12-java11-python3-ubuntu"); !errors.Is(err, ErrPending) || !strings.Contains(err.Error(), "installing 3.4.4") {
		t.Errorf("pending version: %v", err)
	}
	_, err = m.Resolve("apache/spark-py:v2.4.8")
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), `"apache/spark-py:v2.4.8": spark 2.4.8 cannot run here`) {
		t.Errorf("unavailable version: %v", err)
	}
	if want := []string{"3.3.0", "3.3.0", "3.4.4", "2.4.8"}; !slices.Equal(sorted(asked), sorted(want)) {
		t.Errorf("versions asked %q, want %q", asked, want)
	}
}

func sorted(s []string) []string { s = slices.Clone(s); slices.Sort(s); return s }
