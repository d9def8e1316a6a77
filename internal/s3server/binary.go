package s3server

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

// Version is the versitygw release scripts/versitygw.sh builds (keep in
// step with tools/versitygw/go.mod).
const Version = "v1.8.0"

const buildScript = "scripts/versitygw.sh"

// Binary is the versitygw to run: $SPARKPLANE_VERSITYGW, else
// <cache>/versitygw-<Version>/versitygw (config.Env.CacheDir), built by
// scripts/versitygw.sh when missing and the script is found above the
// working directory or this source file (a cold build takes ~3-5 minutes
// on 2 cores).
func Binary(ctx context.Context) (string, error) {
	env := config.ReadEnv()
	if p := env.Get(config.EnvVersityGW); p != "" {
		if err := isExecutable(p); err != nil {
			return "", fmt.Errorf("s3server: %s=%s: %w", config.EnvVersityGW, p, err)
		}
		return p, nil
	}
	p := filepath.Join(env.CacheDir(), "versitygw-"+Version, "versitygw")
	if isExecutable(p) == nil {
		return p, nil
	}
	root, err := repoRoot()
	if err != nil {
		return "", fmt.Errorf("s3server: no versitygw at %s (run scripts/versitygw.sh, or set %s): %w", p, config.EnvVersityGW, err)
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
		return "", fmt.Errorf("s3server: %s failed: %w\n%s", buildScript, err, stderr.String())
	}
	out := strings.TrimSpace(stdout.String())
	p = out[strings.LastIndexByte(out, '\n')+1:]
	if err := isExecutable(p); err != nil {
		return "", fmt.Errorf("s3server: %s printed %q: %w", buildScript, p, err)
	}
	return p, nil
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

// repoRoot finds the folder holding the build script, walking up from the
// working directory (a test's package folder), then from this source file.
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
	return "", errors.New("cannot find " + buildScript + " above the working directory")
}
