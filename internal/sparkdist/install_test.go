package sparkdist_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/sparkplane/sparkplane/internal/config"
	"github.com/sparkplane/sparkplane/internal/sparkdist"
)

// fakePip is a python3 whose "-m pip install --target DIR pyspark==V" lays
// out a pyspark with bin/spark-submit in DIR, counting its installations;
// version 0.0.0 is missing from its index.
const fakePip = `#!/bin/sh
target=; req=
while [ $# -gt 0 ]; do
  case "$1" in --target) target=$2; shift;; pyspark==*) req=$1;; esac
  shift
done
echo "Collecting $req"
if [ "$req" = "pyspark==3.0.0" ]; then
  echo "ERROR: No matching distribution found for $req"; exit 1
fi
sleep 0.3
mkdir -p "$target/pyspark/bin" "$target/pyspark/jars" "$target/py4j"
# a Spark whose S3A connector is in place already: AddS3A needs no network
touch "$target/pyspark/jars/hadoop-client-api-3.3.4.jar" "$target/pyspark/jars/hadoop-aws-3.3.4.jar"
printf '#!/bin/sh\n' > "$target/pyspark/bin/spark-submit"; chmod 0700 "$target/pyspark/bin/spark-submit"
echo x >> "$(dirname "$0")/installs"
echo "Successfully installed $req"
`

func fakeEnv(t *testing.T) (config.Env, string) {
	t.Helper()
	bin := t.TempDir()
	if err := os.WriteFile(filepath.Join(bin, "python3"), []byte(fakePip), 0o755); err != nil {
		t.Fatal(err)
	}
	java := t.TempDir()
	if err := os.MkdirAll(filepath.Join(java, "bin"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(java, "bin", "java"), nil, 0o755); err != nil {
		t.Fatal(err)
	}
	cache := t.TempDir()
	return config.EnvFrom([]string{"PATH=" + bin + ":/usr/bin:/bin", "SPARKPLANE_CACHE=" + cache, "JAVA_HOME=" + java}), bin
}

// syncBuffer is a log destination several goroutines write.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}
func (s *syncBuffer) String() string { s.mu.Lock(); defer s.mu.Unlock(); return s.b.String() }

func TestEnsureInstallsOnceForConcurrentCallers(t *testing.T) {
	env, bin := fakeEnv(t)
	var logs syncBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	if _, ok := sparkdist.Installed("3.3.0", env); ok {
		t.Fatal("installed before Ensure")
	}
	var wg sync.WaitGroup
	dists := make([]sparkdist.Dist, 4)
	errs := make([]error, 4)
	for i := range dists {
		wg.Go(func() { dists[i], errs[i] = sparkdist.Ensure(context.Background(), "3.3.0", env, log) })
	}
	wg.Wait()
	want := filepath.Join(env.CacheDir(), "spark-3.3.0", "pyspark")
	for i := range dists {
		if errs[i] != nil || dists[i].SparkHome != want {
			t.Errorf("Ensure #%d = %q, %v; want %s", i, dists[i].SparkHome, errs[i], want)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(bin, "installs")); string(b) != "x\n" {
		t.Errorf("installed %d times, want once", strings.Count(string(b), "x"))
	}
	if d, ok := sparkdist.Installed("3.3.0", env); !ok || d.PythonPath != filepath.Dir(want) {
		t.Errorf("Installed = %+v, %v", d, ok)
	}
	for _, line := range []string{"installing Apache Spark from PyPI", "Successfully installed pyspark==3.3.0", "installed Apache Spark"} {
		if !strings.Contains(logs.String(), line) {
			t.Errorf("log has no %q:\n%s", line, logs.String())
		}
	}
	if os.Geteuid() == 0 {
		st, _ := os.Stat(filepath.Join(want, "bin", "spark-submit"))
		if st.Mode().Perm()&0o005 != 0o005 {
			t.Errorf("spark-submit mode %v: not readable and runnable by everyone", st.Mode())
		}
	}
	left, _ := filepath.Glob(filepath.Join(env.CacheDir(), ".spark-3.3.0.*"))
	for _, l := range left {
		if !strings.HasSuffix(l, ".lock") {
			t.Errorf("temporary folder %s left behind", l)
		}
	}
}

func TestEnsureReportsPipsError(t *testing.T) {
	env, _ := fakeEnv(t)
	_, err := sparkdist.Ensure(context.Background(), "3.0.0", env, slog.New(slog.DiscardHandler))
	if err == nil || !strings.Contains(err.Error(), "No matching distribution found for pyspark==3.0.0") {
		t.Fatalf("Ensure = %v, want pip's error", err)
	}
	if _, ok := sparkdist.Installed("3.0.0", env); ok {
		t.Error("a failed installation looks installed")
	}
}

func TestEnsureRefusesSpark2(t *testing.T) {
	env, bin := fakeEnv(t)
	_, err := sparkdist.Ensure(context.Background(), "2.4.8", env, slog.New(slog.DiscardHandler))
	if !errors.Is(err, sparkdist.ErrUnsupported) || !strings.Contains(err.Error(), "Java 8") {
		t.Fatalf("Ensure(2.4.8) = %v, want ErrUnsupported", err)
	}
	if _, err := os.Stat(filepath.Join(bin, "installs")); err == nil {
		t.Error("Spark 2.4.8 was installed")
	}
}

func TestForRunsTheInstalledPatchOfItsLine(t *testing.T) {
	for in, want := range map[string]string{"3.5.1": sparkdist.Version, "3.5.6": sparkdist.Version, "3.3.0": "3.3.0", "3.4.1": "3.4.1", "4.0.2": "4.0.2"} {
		if got := sparkdist.For(in); got != want {
			t.Errorf("For(%s) = %s, want %s", in, got, want)
		}
	}
}

// TestInstalledNeedsTheS3AConnector: a Spark in the cache without
// hadoop-aws (installed by a sparkplane older than S3A for every Spark) is
// not complete, so Ensure, not the caller, takes it from there.
func TestInstalledNeedsTheS3AConnector(t *testing.T) {
	env, _ := fakeEnv(t)
	d, err := sparkdist.Ensure(context.Background(), "3.3.0", env, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	jars, _ := filepath.Glob(filepath.Join(d.SparkHome, "jars", "hadoop-aws-*.jar"))
	if len(jars) == 0 {
		t.Fatal("the fake installation has no hadoop-aws jar")
	}
	for _, j := range jars {
		if err := os.Remove(j); err != nil {
			t.Fatal(err)
		}
	}
	if _, ok := sparkdist.Installed("3.3.0", env); ok {
		t.Error("a Spark without its S3A connector counts as installed")
	}
}
