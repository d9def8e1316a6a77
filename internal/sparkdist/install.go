package sparkdist

import (
	"archive/zip"
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sys/unix"

	"github.com/sparkplane/sparkplane/internal/config"
)

// ErrUnsupported says a Spark version cannot run on this host.
var ErrUnsupported = errors.New("cannot run here")

// Supported reports whether Spark version runs on this host's Java 17 and
// Python 3: Spark 3.x and later do; Spark 2.4 needs Java 8 and Python 3.7
// or older (its bundled cloudpickle breaks on newer Pythons).
func Supported(version string) error {
	major, _ := strconv.Atoi(strings.SplitN(version, ".", 2)[0])
	if major < 3 {
		return fmt.Errorf("apache spark %s %w: it needs Java 8 and Python 3.7 or older, and this host runs Spark on Java 17 and Python 3", version, ErrUnsupported)
	}
	return nil
}

// For is the Spark version that runs jobs written for Spark version (the
// one a release label ships): version itself, except in the line of the
// Spark setup.sh installs (3.5), whose every release runs on Version, a
// later patch of the same line (fixes only), so that the emr-7.x releases
// need no download.
func For(version string) string {
	if line(version) == line(Version) {
		return Version
	}
	return version
}

// line is the major.minor of a version.
func line(version string) string {
	parts := strings.SplitN(version, ".", 3)
	if len(parts) < 2 {
		return version
	}
	return parts[0] + "." + parts[1]
}

// Installed returns version's Spark when the cache folder holds it
// complete: the S3A connector included (a Spark installed by an older
// sparkplane may lack it; Ensure adds it).
func Installed(version string, env config.Env) (Dist, bool) {
	d, ok := present(version, env)
	return d, ok && hasS3A(d.SparkHome)
}

// hasS3A says whether the Spark in sparkHome has its S3A connector
// (hadoop-aws, installed last by AddS3A).
func hasS3A(sparkHome string) bool {
	jars, _ := filepath.Glob(filepath.Join(sparkHome, "jars", "hadoop-aws-*.jar"))
	return len(jars) > 0
}

// present returns version's Spark when the cache folder has it installed,
// with or without the S3A connector.
func present(version string, env config.Env) (Dist, bool) {
	home := cachedHome(env, version)
	if !isFile(filepath.Join(home, "bin", "spark-submit")) {
		return Dist{}, false
	}
	d, err := at(home, env)
	return d, err == nil
}

// installProgress is how often a running installation says it still runs.
const installProgress = 15 * time.Second

// Ensure returns version's Spark from the cache folder (env.CacheDir),
// installing it there first if it is not yet: pip installs the pyspark
// package of that version from PyPI into <cache>/spark-<version>, as
// scripts/setup.sh installs the default one. Installations are serialised
// by a lock file next to the folder, so servers and goroutines that want
// the same version at once install it once; the folder appears whole or
// not at all. As root the cache is /var/cache/sparkplane and what is
// installed is made readable by everyone: jobs run as other users. log
// receives a line when the installation starts, every 15 seconds while it
// runs, and pip's own lines; a failure's error ends with pip's last lines.
func Ensure(ctx context.Context, version string, env config.Env, log *slog.Logger) (Dist, error) {
	if err := Supported(version); err != nil {
		return Dist{}, err
	}
	if !validVersion(version) {
		return Dist{}, fmt.Errorf("%q is not a Spark version", version)
	}
	if d, ok := Installed(version, env); ok {
		return d, nil
	}
	cache := env.CacheDir()
	if err := os.MkdirAll(cache, 0o755); err != nil {
		return Dist{}, fmt.Errorf("create the cache folder: %w", err)
	}
	unlock, err := lockFile(ctx, filepath.Join(cache, ".spark-"+version+".lock"))
	if err != nil {
		return Dist{}, err
	}
	defer unlock()
	if d, ok := present(version, env); ok { // another installed it while this one waited
		if !hasS3A(d.SparkHome) { // installed before sparkplane added S3A to every Spark
			if err := AddS3A(ctx, d.SparkHome, log); err != nil {
				return Dist{}, fmt.Errorf("add the S3A connector to Apache Spark %s: %w", version, err)
			}
		}
		return d, nil
	}
	if err := install(ctx, version, env, cache, log); err != nil {
		return Dist{}, err
	}
	d, ok := Installed(version, env)
	if !ok {
		return Dist{}, fmt.Errorf("apache spark %s is %w after its installation into %s", version, ErrNotInstalled, cache)
	}
	return d, nil
}

// install installs pyspark==version into a temporary folder of cache and
// renames it <cache>/spark-<version> once it is complete.
func install(ctx context.Context, version string, env config.Env, cache string, log *slog.Logger) error {
	dir := filepath.Join(cache, "spark-"+version)
	tmp, err := os.MkdirTemp(cache, ".spark-"+version+".")
	if err != nil {
		return fmt.Errorf("create a folder to install Spark into: %w", err)
	}
	defer os.RemoveAll(tmp) // gone once renamed
	python := lookPath("python3", env.Get(config.EnvPath))
	cmd := exec.CommandContext(ctx, python, "-m", "pip", "install", "--disable-pip-version-check", "--no-input",
		"--progress-bar", "off", "--target", tmp, "pyspark=="+version)
	cmd.Env = pipEnv(env)
	cmd.WaitDelay = 5 * time.Second
	// One stream, in order. Not StdoutPipe: its Wait closes the pipe
	// before everything was read, which lost pip's last lines (its error).
	out, pw := io.Pipe()
	defer pw.Close()
	cmd.Stdout, cmd.Stderr = pw, pw
	log.Info("installing Apache Spark from PyPI on first use (pyspark, about 300 MB)", "version", version, "into", dir)
	started := time.Now()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("install apache spark %s: start pip: %w", version, err)
	}
	tail := follow(out, func(line string) { log.Info("pip", "version", version, "line", line) })
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(installProgress)
		defer t.Stop()
		for {
			select {
			case <-stop:
				return
			case <-t.C:
				log.Info("still installing Apache Spark", "version", version, "elapsed", time.Since(started).Round(time.Second).String())
			}
		}
	})
	waitErr := cmd.Wait() // every byte pip wrote has been copied to pw
	pw.Close()
	close(stop)
	wg.Wait()
	if waitErr != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("install apache spark %s: %w", version, ctx.Err())
		}
		return fmt.Errorf("pip install pyspark==%s failed (%v): %s", version, waitErr, tail())
	}
	home := filepath.Join(tmp, "pyspark")
	if !isFile(filepath.Join(home, "bin", "spark-submit")) {
		return fmt.Errorf("pyspark %s from PyPI has no bin/spark-submit", version)
	}
	if err := logToStderr(home); err != nil {
		return fmt.Errorf("install apache spark %s: %w", version, err)
	}
	if err := AddS3A(ctx, home, log); err != nil { // s3:// and s3a:// data, as with the preinstalled Spark
		return fmt.Errorf("install apache spark %s: %w", version, err)
	}
	if err := finish(tmp); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil { // an incomplete copy from before
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("install apache spark %s: %w", version, err)
	}
	log.Info("installed Apache Spark", "version", version, "into", dir, "took", time.Since(started).Round(time.Second).String())
	return nil
}

// finish readies a fresh installation in tmp before it is renamed into
// place: as root, readable by every user (as setup.sh's chmod a+rX).
func finish(tmp string) error {
	if os.Geteuid() != 0 {
		return nil
	}
	return filepath.WalkDir(tmp, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, err := e.Info()
		if err != nil || info.Mode()&fs.ModeSymlink != 0 {
			return err
		}
		mode := info.Mode().Perm() | 0o444
		if info.IsDir() || mode&0o111 != 0 {
			mode |= 0o111
		}
		return os.Chmod(p, mode)
	})
}

// logToStderr gives the Spark in home a conf/log4j2.properties that logs
// to stderr when its built-in defaults log to stdout (Spark 3.3 does):
// the local runtime finds the driver's start and a failure's cause in
// stderr, as with every other Spark.
func logToStderr(home string) error {
	jars, _ := filepath.Glob(filepath.Join(home, "jars", "spark-core_*.jar"))
	if len(jars) == 0 || isFile(filepath.Join(home, "conf", "log4j2.properties")) {
		return nil
	}
	z, err := zip.OpenReader(jars[0])
	if err != nil {
		return err
	}
	defer z.Close()
	f, err := z.Open("org/apache/spark/log4j2-defaults.properties")
	if err != nil {
		return nil // log4j 1 (Spark 3.2 and older): stderr already
	}
	defer f.Close()
	b, err := io.ReadAll(f)
	if err != nil {
		return err
	}
	const toStdout = "appender.console.target = SYSTEM_OUT"
	if !strings.Contains(string(b), toStdout) {
		return nil
	}
	if err := os.MkdirAll(filepath.Join(home, "conf"), 0o755); err != nil {
		return err
	}
	conf := strings.ReplaceAll(string(b), toStdout, "appender.console.target = SYSTEM_ERR")
	return os.WriteFile(filepath.Join(home, "conf", "log4j2.properties"), []byte(conf), 0o644)
}

// follow sends each line of r to each, and returns what tells the last
// lines read (at most 600 bytes), once r is at its end.
func follow(r io.Reader, each func(string)) func() string {
	var (
		mu    sync.Mutex
		lines []string
		done  = make(chan struct{})
	)
	go func() {
		defer close(done)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			line := strings.TrimSpace(sc.Text())
			if line == "" {
				continue
			}
			each(line)
			mu.Lock()
			lines = append(lines, line)
			if len(lines) > 8 {
				lines = lines[1:]
			}
			mu.Unlock()
		}
	}()
	return func() string {
		<-done
		mu.Lock()
		defer mu.Unlock()
		s := strings.Join(lines, " | ")
		if len(s) > 600 {
			s = "…" + s[len(s)-600:]
		}
		return s
	}
}

// lockFile takes an exclusive lock on path, waiting until it is free or
// ctx ends; the returned func releases it.
func lockFile(ctx context.Context, path string) (func(), error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open the install lock: %w", err)
	}
	for {
		err := unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
		if err == nil {
			return func() { _ = unix.Flock(int(f.Fd()), unix.LOCK_UN); f.Close() }, nil
		}
		if !errors.Is(err, unix.EWOULDBLOCK) && !errors.Is(err, unix.EINTR) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, ctx.Err()
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// pipEnv is the environment pip runs with: the job environment (PATH,
// HOME, locale, proxies) and pip's own settings (an index, a proxy).
func pipEnv(env config.Env) []string {
	out := env.JobEnv()
	for _, k := range []string{"PIP_INDEX_URL", "PIP_EXTRA_INDEX_URL", "PIP_TRUSTED_HOST", "PIP_CERT", "PIP_CACHE_DIR", "PIP_NO_CACHE_DIR",
		"PYENV_ROOT", "PYENV_VERSION", "VIRTUAL_ENV",
		"HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy", "NO_PROXY", "no_proxy"} {
		if v := env.Get(k); v != "" {
			out = append(out, k+"="+v)
		}
	}
	return out
}

// lookPath finds name on path; name itself when it is not there.
func lookPath(name, path string) string {
	for _, dir := range filepath.SplitList(path) {
		p := filepath.Join(dir, name)
		if filepath.IsAbs(p) && isFile(p) {
			return p
		}
	}
	return name
}

// validVersion reports whether v is X.Y.Z, safe in a file name and a pip
// requirement.
func validVersion(v string) bool {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		return false
	}
	for _, p := range parts {
		if _, err := strconv.Atoi(p); err != nil || p == "" || strings.ContainsAny(p, "+-") {
			return false
		}
	}
	return true
}
