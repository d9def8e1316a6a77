package controlplane

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"time"

	"github.com/sparkplane/sparkplane/internal/config"
)

// KubeVersion is the Kubernetes version the binaries are built at.
const KubeVersion = "v1.34.2"

const buildScript = "scripts/kube-binaries.sh"

type binaries struct {
	etcd, apiserver, controllerManager string
}

// findBinaries looks in $SPARKPLANE_KUBE_BIN, else in the cache folder, and
// runs the build script when the cache folder is incomplete. The variables
// are read through package config, the one package that reads the
// environment, when Start is called (Start's callers include the test
// harness internal/testenv, which passes no environment).
func findBinaries(ctx context.Context, logf func(string, ...any)) (binaries, error) {
	env := config.ReadEnv()
	if dir := env.Get(config.EnvKubeBin); dir != "" {
		b, err := binariesIn(dir)
		if err != nil {
			return b, fmt.Errorf("controlplane: SPARKPLANE_KUBE_BIN=%s: %w", dir, err)
		}
		return b, nil
	}
	dir, err := cacheDir(env)
	if err != nil {
		return binaries{}, err
	}
	b, err := binariesIn(dir)
	if err == nil {
		return b, nil
	}
	logf("controlplane: %v; running %s (a cold build takes ~6-8 minutes)", err, buildScript)
	if dir, err = runBuildScript(ctx); err != nil {
		return binaries{}, err
	}
	return binariesIn(dir)
}

// cacheDir is where scripts/kube-binaries.sh puts the binaries:
// $SPARKPLANE_CACHE, else ~/.cache/sparkplane (not $XDG_CACHE_HOME, as the
// script).
func cacheDir(env config.Env) (string, error) {
	if c := env.Get(config.EnvCache); c != "" {
		return filepath.Join(c, "kube-"+KubeVersion), nil
	}
	home := env.Get(config.EnvHome)
	if home == "" {
		return "", fmt.Errorf("controlplane: locate cache folder: $HOME is not set")
	}
	return filepath.Join(home, ".cache", "sparkplane", "kube-"+KubeVersion), nil
}

// binariesIn returns the binaries in dir; etcd may also come from PATH.
func binariesIn(dir string) (binaries, error) {
	b := binaries{
		apiserver:         filepath.Join(dir, "kube-apiserver"),
		controllerManager: filepath.Join(dir, "kube-controller-manager"),
		etcd:              filepath.Join(dir, "etcd"),
	}
	for _, p := range []string{b.apiserver, b.controllerManager} {
		if err := isExecutable(p); err != nil {
			return b, err
		}
	}
	if isExecutable(b.etcd) != nil {
		p, err := exec.LookPath("etcd")
		if err != nil {
			return b, fmt.Errorf("etcd neither in %s nor on PATH: %w", dir, err)
		}
		b.etcd = p
	}
	return b, nil
}

func isExecutable(path string) error {
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.IsDir() || st.Mode().Perm()&0o111 == 0 {
		return fmt.Errorf("%s is not an executable file", path)
	}
	return nil
}

// runBuildScript runs scripts/kube-binaries.sh, streaming its progress to
// stderr, and returns the folder it prints on its last line.
func runBuildScript(ctx context.Context) (string, error) {
	root, err := repoRoot()
	if err != nil {
		return "", err
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(ctx, "bash", filepath.Join(root, buildScript))
	cmd.Dir = root
	cmd.Stdout = &stdout
	cmd.Stderr = io.MultiWriter(os.Stderr, &stderr)
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM) }
	cmd.WaitDelay = 15 * time.Second
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("controlplane: %s failed: %w\n%s", buildScript, err, lastLines(stderr.String(), 30))
	}
	out := strings.TrimSpace(stdout.String())
	dir := out[strings.LastIndexByte(out, '\n')+1:]
	if dir == "" {
		return "", fmt.Errorf("controlplane: %s printed no folder", buildScript)
	}
	return dir, nil
}

// repoRoot finds the folder holding scripts/kube-binaries.sh, walking up
// from the working directory (a test's package folder), then from this
// source file.
func repoRoot() (string, error) {
	var starts []string
	if wd, err := os.Getwd(); err == nil {
		starts = append(starts, wd)
	}
	if _, file, _, ok := runtime.Caller(0); ok && filepath.IsAbs(file) {
		starts = append(starts, filepath.Dir(file))
	}
	for _, dir := range starts {
		for {
			if _, err := os.Stat(filepath.Join(dir, buildScript)); err == nil {
				return dir, nil
			}
			parent := filepath.Dir(dir)
			if parent == dir {
				break
			}
			dir = parent
		}
	}
	return "", errors.New("controlplane: cannot find " + buildScript + " above the working directory; set SPARKPLANE_KUBE_BIN")
}

func lastLines(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}
