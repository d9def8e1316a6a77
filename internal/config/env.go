package config

import (
	"os"
	"path/filepath"
	"strings"
)

// Environment variables sparkplane reads. This package is the only one that
// reads the environment: ReadEnv takes a snapshot once, when a command
// starts, and the values are passed down from there (Config.Env, the
// runtimes' and the CLI's options). Two exceptions, on purpose:
// internal/nodeagent/sandbox, a re-exec'd pod container reading the spec its
// parent put in its environment, and the test harness internal/testenv.
const (
	EnvHome         = "HOME"
	EnvPath         = "PATH"
	EnvXDGDataHome  = "XDG_DATA_HOME"  // the data directory's default parent
	EnvXDGCacheHome = "XDG_CACHE_HOME" // the cache folder's default parent
	EnvSparkHome    = "SPARK_HOME"     // the local runtime's Spark when --spark-home is not given
	EnvJavaHome     = "JAVA_HOME"      // the JDK spark-submit runs with
	EnvCache        = "SPARKPLANE_CACHE"
	EnvKubeBin      = "SPARKPLANE_KUBE_BIN"   // prebuilt kube-apiserver, kube-controller-manager (and etcd)
	EnvVersityGW    = "SPARKPLANE_VERSITYGW"  // a prebuilt versitygw, the S3 server of the embedded cluster and the tests
	EnvEndpoint     = "SPARKPLANE_ENDPOINT"   // the CLI's default --endpoint-url
	EnvAWSAccessKey = "AWS_ACCESS_KEY_ID"     // the CLI signs with these (any value works on a loopback server without an access file)
	EnvAWSSecretKey = "AWS_SECRET_ACCESS_KEY" //
	EnvAWSSession   = "AWS_SESSION_TOKEN"     // with temporary credentials
	EnvAWSRegion    = "AWS_REGION"            // the region the CLI signs for (default us-east-1)
)

// jobEnvNames are the variables a job process inherits from the server
// (when set): what a shell, the JVM and Python need to run, and nothing
// that could carry the server's secrets (PGPASSWORD, AWS_*, …).
var jobEnvNames = []string{EnvPath, EnvHome, "USER", "LOGNAME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR"}

// defaultPath is the PATH of a job process when the server has none.
const defaultPath = "/usr/local/bin:/usr/bin:/bin"

// Env is a snapshot of the environment a command started with.
type Env struct {
	list []string
	vars map[string]string
	root bool // the process runs as root (euid 0)
}

// ReadEnv takes the snapshot of the process's environment.
func ReadEnv() Env { return EnvFrom(os.Environ()) }

// EnvFrom is the environment of the KEY=value list kv (for tests, and for
// children given an explicit environment).
func EnvFrom(kv []string) Env {
	e := Env{list: append([]string(nil), kv...), vars: make(map[string]string, len(kv)), root: os.Geteuid() == 0}
	for _, s := range kv {
		if k, v, ok := strings.Cut(s, "="); ok {
			e.vars[k] = v
		}
	}
	return e
}

// Get returns the value of the variable name, "" when unset.
func (e Env) Get(name string) string { return e.vars[name] }

// Environ returns the whole snapshot, as KEY=value. Only for children that
// are sparkplane itself (the dev-cluster supervisor) and read it through
// this package again; job processes get JobEnv.
func (e Env) Environ() []string { return append([]string(nil), e.list...) }

// JobEnv is the base environment of a job's process (spark-submit and
// what it starts): PATH, HOME, the user's name, locale, time zone and
// TMPDIR as the server has them, and nothing else; the runtime adds the
// Spark, Java and Python variables. PATH defaults to /usr/local/bin:/usr/bin:/bin.
func (e Env) JobEnv() []string {
	var env []string
	for _, k := range jobEnvNames {
		if v, ok := e.vars[k]; ok {
			env = append(env, k+"="+v)
		} else if k == EnvPath {
			env = append(env, k+"="+defaultPath)
		}
	}
	return env
}

// RootCacheDir is the cache folder of root: world-readable, so the
// unprivileged users local runs run as can read the Spark kept there
// (root's home is not).
const RootCacheDir = "/var/cache/sparkplane"

// CacheDir is the folder the Spark that scripts/setup.sh installs is kept
// in (and the versitygw that scripts/versitygw.sh builds): $SPARKPLANE_CACHE, else $XDG_CACHE_HOME/sparkplane, else
// RootCacheDir for root, else ~/.cache/sparkplane. (The kube binaries are
// found on their own: see internal/controlplane.)
func (e Env) CacheDir() string {
	if d := e.Get(EnvCache); d != "" {
		return d
	}
	if d := e.Get(EnvXDGCacheHome); d != "" && filepath.IsAbs(d) {
		return filepath.Join(d, "sparkplane")
	}
	if e.root {
		return RootCacheDir
	}
	if h := e.Get(EnvHome); h != "" {
		return filepath.Join(h, ".cache", "sparkplane")
	}
	return filepath.Join(os.TempDir(), "sparkplane-cache")
}

// DataDir is the default data directory: $XDG_DATA_HOME/sparkplane, else
// ~/.local/share/sparkplane.
func (e Env) DataDir() string {
	if d := e.Get(EnvXDGDataHome); d != "" {
		return filepath.Join(d, "sparkplane")
	}
	if h := e.Get(EnvHome); h != "" {
		return filepath.Join(h, ".local", "share", "sparkplane")
	}
	return filepath.Join(os.TempDir(), "sparkplane")
}
