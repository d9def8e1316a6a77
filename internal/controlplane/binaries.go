package controlplane

import (
	"context"
	"fmt"
	"github.com/sparkplane/sparkplane/internal/buildscript"
	"os/exec"
	"path/filepath"

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
		if err := buildscript.IsExecutable(p); err != nil {
			return b, err
		}
	}
	if buildscript.IsExecutable(b.etcd) != nil {
		p, err := exec.LookPath("etcd")
		if err != nil {
			return b, fmt.Errorf("etcd neither in %s nor on PATH: %w", dir, err)
		}
		b.etcd = p
	}
	return b, nil
}

// runBuildScript runs scripts/kube-binaries.sh, streaming its progress to
// stderr, and returns the folder it prints on its last line.
func runBuildScript(ctx context.Context) (string, error) {
	dir, err := buildscript.Run(ctx, buildScript)
	if err != nil {
		return "", fmt.Errorf("controlplane: %w; or set SPARKPLANE_KUBE_BIN", err)
	}
	return dir, nil
}
