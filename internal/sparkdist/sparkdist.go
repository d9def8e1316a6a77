// Package sparkdist finds the Apache Spark distribution and the JDK that
// sparkplane runs spark-submit from: an explicit path, $SPARK_HOME, or the
// copy scripts/setup.sh installs into the cache folder; and adds the S3A
// connector to a Spark (AddS3A, s3a.go). It reads the environment only
// through the config.Env it is given.
package sparkdist

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/sparkplane/sparkplane/internal/config"
)

// Version is the Apache Spark version scripts/setup.sh installs (EMR 7.x
// release labels ship Spark 3.5.x).
const Version = "3.5.9"

// Dist is an installed Spark with the Java and Python paths it needs.
type Dist struct {
	SparkHome  string // holds bin/spark-submit and jars/
	JavaHome   string
	PythonPath string // where the pyspark and py4j packages are, for PySpark jobs
	Python     string // the python3 that runs PySpark drivers
	// HostPath is the server's PATH (default /usr/local/bin:/usr/bin:/bin),
	// what pods mapped to the host run with.
	HostPath string
}

// SparkSubmit is the path of bin/spark-submit.
func (d Dist) SparkSubmit() string { return filepath.Join(d.SparkHome, "bin", "spark-submit") }

// Env returns the environment spark-submit runs with: base (see
// config.Env.JobEnv) plus the variables that point at this distribution.
func (d Dist) Env(base []string) []string {
	env := make([]string, 0, len(base)+5)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		switch k {
		case "SPARK_HOME", "JAVA_HOME", "PYTHONPATH", "PYSPARK_PYTHON", "PYSPARK_DRIVER_PYTHON", "SPARK_CONF_DIR":
			continue
		}
		env = append(env, kv)
	}
	return append(env,
		"SPARK_HOME="+d.SparkHome,
		"JAVA_HOME="+d.JavaHome,
		"PYTHONPATH="+d.PythonPath,
		"PYSPARK_PYTHON="+d.Python,
		"PYSPARK_DRIVER_PYTHON="+d.Python,
	)
}

// ErrNotInstalled says Spark or Java could not be found.
var ErrNotInstalled = errors.New("not installed")

// Find locates Spark (sparkHome if given, else env's $SPARK_HOME, else the
// cache folder, env.CacheDir) and a JDK ($JAVA_HOME, else a JDK 17 under
// /usr/lib/jvm, else java on PATH).
func Find(sparkHome string, env config.Env) (Dist, error) {
	cached := cachedHome(env, Version)
	for _, c := range []string{sparkHome, env.Get(config.EnvSparkHome), cached} {
		if c != "" && isFile(filepath.Join(c, "bin", "spark-submit")) {
			return at(c, env)
		}
	}
	return Dist{}, fmt.Errorf("apache spark %w (looked for bin/spark-submit in --spark-home, $SPARK_HOME and %s); run scripts/setup.sh to install it",
		ErrNotInstalled, cached)
}

// Pinned reports whether sparkHome or env's $SPARK_HOME names the Spark to
// run, rather than the cache folder's copy of each version.
func Pinned(sparkHome string, env config.Env) bool {
	return sparkHome != "" || env.Get(config.EnvSparkHome) != ""
}

// cachedHome is where version's Spark is in the cache folder: the pyspark
// package that pip installs into <cache>/spark-<version>.
func cachedHome(env config.Env, version string) string {
	return filepath.Join(env.CacheDir(), "spark-"+version, "pyspark")
}

// at is the distribution whose bin/spark-submit is in sparkHome, with the
// JDK and python3 it runs with.
func at(sparkHome string, env config.Env) (Dist, error) {
	d := Dist{SparkHome: sparkHome, HostPath: env.Get(config.EnvPath)}
	if d.HostPath == "" {
		d.HostPath = "/usr/local/bin:/usr/bin:/bin"
	}
	// A pip-installed pyspark keeps its Python package next to py4j, one level up.
	if parent := filepath.Dir(d.SparkHome); isDir(filepath.Join(parent, "py4j")) {
		d.PythonPath = parent
	} else {
		libs, _ := filepath.Glob(filepath.Join(d.SparkHome, "python", "lib", "*.zip"))
		d.PythonPath = strings.Join(append([]string{filepath.Join(d.SparkHome, "python")}, libs...), string(os.PathListSeparator))
	}
	java, err := findJava(env.Get(config.EnvJavaHome))
	if err != nil {
		return d, err
	}
	d.JavaHome = java
	d.Python = findPython(d.HostPath, os.Geteuid() == 0)
	return d, nil
}

// findPython is the first python3 on path; for a root server (public) the
// first that every user may run, since its jobs run as other users (a
// python3 under /root, as pyenv's, is out of their reach). Not found:
// "python3", to be looked up when a job starts.
func findPython(path string, public bool) string {
	first := ""
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, "python3")
		if !filepath.IsAbs(p) {
			continue
		}
		if st, err := os.Stat(p); err != nil || st.IsDir() || st.Mode().Perm()&0o111 == 0 {
			continue
		}
		if !public || everyoneCanRun(p) {
			return p
		}
		if first == "" {
			first = p
		}
	}
	if first != "" {
		return first // the job's check says what is wrong with it
	}
	return "python3"
}

// everyoneCanRun says whether every user may run the file at p: it, and
// every folder on the way to it and to what it links to, allow others.
func everyoneCanRun(p string) bool {
	real, err := filepath.EvalSymlinks(p)
	if err != nil {
		return false
	}
	for _, q := range []string{p, real} {
		st, err := os.Stat(q)
		if err != nil || st.Mode().Perm()&0o005 != 0o005 {
			return false
		}
		for dir := filepath.Dir(q); ; dir = filepath.Dir(dir) {
			if st, err := os.Stat(dir); err != nil || st.Mode().Perm()&0o001 == 0 {
				return false
			}
			if dir == "/" {
				break
			}
		}
	}
	return true
}

func findJava(javaHome string) (string, error) {
	if h := javaHome; h != "" && isFile(filepath.Join(h, "bin", "java")) {
		return h, nil
	}
	if homes, _ := filepath.Glob("/usr/lib/jvm/java-17-openjdk-*"); len(homes) > 0 {
		return homes[0], nil
	}
	if p, err := exec.LookPath("java"); err == nil {
		if real, err := filepath.EvalSymlinks(p); err == nil {
			return filepath.Dir(filepath.Dir(real)), nil
		}
	}
	return "", fmt.Errorf("a JDK 17 is %w ($JAVA_HOME unset, none under /usr/lib/jvm); run scripts/setup.sh to install it", ErrNotInstalled)
}

func isFile(p string) bool { st, err := os.Stat(p); return err == nil && !st.IsDir() }
func isDir(p string) bool  { st, err := os.Stat(p); return err == nil && st.IsDir() }
