package podimage

import (
	"fmt"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// SparkHome is where Spark lives inside the Apache Spark images.
const SparkHome = "/opt/spark"

// Dists gives the installed Spark of a version, for the images whose tag
// names it; its errors wrap ErrPending or ErrUnavailable.
type Dists func(version string) (sparkdist.Dist, error)

// SparkRules map the Apache Spark images (and images named like them, such
// as a team's own spark or spark-py build) to the installed distribution:
// d, or, when versions is not nil and the image's tag names a version (see
// TagVersion), the Spark versions gives for it.
func SparkRules(d sparkdist.Dist, versions Dists) []Rule {
	var rules []Rule
	for _, m := range []string{"apache/spark", "apache/spark-py", "spark", "spark-py", "*/spark", "*/spark-py", "*/*/spark", "*/*/spark-py"} {
		rules = append(rules, SparkRule(m, d, versions))
	}
	return rules
}

// SparkRule maps the images matching match as SparkRules do.
func SparkRule(match string, d sparkdist.Dist, versions Dists) Rule {
	r := sparkRule(match, d)
	if versions != nil {
		r.ByVersion = func(version string) (Rule, error) {
			vd, err := versions(version)
			if err != nil {
				return Rule{}, err
			}
			return sparkRule(match, vd), nil
		}
	}
	return r
}

// sparkRule shows Spark d at /opt/spark.
func sparkRule(match string, d sparkdist.Dist) Rule {
	env := []string{
		"SPARK_HOME=" + SparkHome,
		"JAVA_HOME=" + d.JavaHome,
		"PATH=" + SparkHome + "/bin:" + filepath.Join(d.JavaHome, "bin") + ":" + hostPath(d),
		"PYTHONPATH=" + d.PythonPath,
		"PYSPARK_PYTHON=" + d.Python,
		"PYSPARK_DRIVER_PYTHON=" + d.Python,
	}
	// Writable, as in the image: Spark pods mount their conf volume at
	// /opt/spark/conf, and its mount point must be creatable.
	mounts := []Mount{{Source: d.SparkHome, Target: SparkHome}}
	return Rule{Match: match, Mounts: mounts, Env: env, WorkingDir: "/tmp", Entrypoint: sparkEntrypoint(d.JavaHome)}
}

// HostRules map common base images to the host itself: their commands
// (sh, python3, ...) are the host's, found on /usr/local/bin:/usr/bin:/bin.
func HostRules() []Rule { return hostRules(defaultPath) }

// hostRules are HostRules with path as the containers' PATH.
func hostRules(path string) []Rule {
	var rules []Rule
	for _, m := range []string{"busybox", "alpine", "debian", "ubuntu", "python", "bash"} {
		rules = append(rules, Rule{Match: m, Env: []string{"PATH=" + path}, WorkingDir: "/"})
	}
	return rules
}

// defaultPath is the PATH of containers mapped to the host when the
// server's is not known.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// hostPath is the server's PATH as sparkdist.Find saw it.
func hostPath(d sparkdist.Dist) string {
	if d.HostPath != "" {
		return d.HostPath
	}
	return defaultPath
}

// sparkEntrypoint is the behaviour of the official image's entrypoint:
// "driver" runs spark-submit in client mode bound to the pod's address,
// "executor" starts the Kubernetes executor backend from the SPARK_*
// variables the driver set on the pod, anything else runs as a command.
func sparkEntrypoint(javaHome string) Entrypoint {
	return func(args []string, env map[string]string) ([]string, error) {
		if len(args) == 0 {
			return nil, fmt.Errorf("spark image: no args (want driver, executor or a command)")
		}
		switch args[0] {
		case "driver":
			return sparkDriver(args[1:], env), nil
		case "executor":
			return sparkExecutor(javaHome, env)
		default:
			return append([]string{}, args...), nil
		}
	}
}

func sparkDriver(args []string, env map[string]string) []string {
	argv := []string{SparkHome + "/bin/spark-submit"}
	if addr := env["SPARK_DRIVER_BIND_ADDRESS"]; addr != "" {
		argv = append(argv, "--conf", "spark.driver.bindAddress="+addr,
			"--conf", "spark.executorEnv.SPARK_DRIVER_POD_IP="+addr)
	}
	argv = append(argv, "--deploy-mode", "client")
	return append(argv, args...)
}

func sparkExecutor(javaHome string, env map[string]string) ([]string, error) {
	for _, k := range []string{"SPARK_DRIVER_URL", "SPARK_EXECUTOR_ID", "SPARK_EXECUTOR_CORES", "SPARK_APPLICATION_ID", "SPARK_EXECUTOR_POD_IP", "SPARK_EXECUTOR_MEMORY"} {
		if env[k] == "" {
			return nil, fmt.Errorf("spark image executor: %s is not set (executor pods are created by the Spark driver, which sets it)", k)
		}
	}
	java := "java"
	if h := env["JAVA_HOME"]; h != "" {
		java = filepath.Join(h, "bin", "java")
	} else if javaHome != "" {
		java = filepath.Join(javaHome, "bin", "java")
	}
	argv := []string{java}
	argv = append(argv, javaOpts(env)...)
	mem := env["SPARK_EXECUTOR_MEMORY"]
	argv = append(argv, "-Xms"+mem, "-Xmx"+mem, "-cp", executorClasspath(env),
		"org.apache.spark.scheduler.cluster.k8s.KubernetesExecutorBackend",
		"--driver-url", env["SPARK_DRIVER_URL"],
		"--executor-id", env["SPARK_EXECUTOR_ID"],
		"--cores", env["SPARK_EXECUTOR_CORES"],
		"--app-id", env["SPARK_APPLICATION_ID"],
		"--hostname", env["SPARK_EXECUTOR_POD_IP"])
	if p := env["SPARK_RESOURCE_PROFILE_ID"]; p != "" {
		argv = append(argv, "--resourceProfileId", p)
	}
	if n := env["SPARK_EXECUTOR_POD_NAME"]; n != "" {
		argv = append(argv, "--podName", n)
	}
	return argv, nil
}

// javaOpts are the SPARK_JAVA_OPT_<n> variables in numeric order.
func javaOpts(env map[string]string) []string {
	type opt struct {
		n int
		v string
	}
	var opts []opt
	for k, v := range env {
		if s, ok := strings.CutPrefix(k, "SPARK_JAVA_OPT_"); ok {
			if n, err := strconv.Atoi(s); err == nil {
				opts = append(opts, opt{n, v})
			}
		}
	}
	sort.Slice(opts, func(i, j int) bool { return opts[i].n < opts[j].n })
	out := make([]string, len(opts))
	for i, o := range opts {
		out[i] = o.v
	}
	return out
}

// executorClasspath is what the official image puts on an executor's
// classpath: the configuration folder (SPARK_CONF_DIR, else Spark's conf),
// HADOOP_CONF_DIR, the job's SPARK_CLASSPATH (spark.executor.extraClassPath),
// always Spark's own jars, then SPARK_DIST_CLASSPATH.
func executorClasspath(env map[string]string) string {
	conf := env["SPARK_CONF_DIR"]
	if conf == "" {
		conf = SparkHome + "/conf"
	}
	parts := []string{conf, env["HADOOP_CONF_DIR"], env["SPARK_CLASSPATH"], SparkHome + "/jars/*", env["SPARK_DIST_CLASSPATH"]}
	var cp []string
	for _, p := range parts {
		if p != "" {
			cp = append(cp, p)
		}
	}
	return strings.Join(cp, ":")
}

// DefaultMapper maps the Apache Spark images to d (or the Spark versions
// gives for their tag's version, see SparkRules) and common base images to
// the host, after the caller's own rules.
func DefaultMapper(d sparkdist.Dist, versions Dists, own ...Rule) (*Mapper, error) {
	rules := append(append(append([]Rule{}, own...), SparkRules(d, versions)...), hostRules(hostPath(d))...)
	return NewMapper(rules...)
}
