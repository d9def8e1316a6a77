package ociimage

import (
	"context"
	"fmt"
	"os"
	"os/exec"
)

// versionVar is the variable the build stamps the version into.
const versionVar = "github.com/sparkplane/sparkplane/internal/cli.Version"

// mainPackage is the command the image runs.
const mainPackage = "./cmd/sparkplane"

// Compile cross-compiles the sparkplane command for linux/arch into out: a
// static binary (no cgo), stripped, with reproducible paths and the version
// stamped in.
func Compile(ctx context.Context, opts Options, arch, out string) error {
	goCmd := opts.Go
	if goCmd == "" {
		goCmd = "go"
	}
	ldflags := fmt.Sprintf("-s -w -X %s=%s", versionVar, opts.Version)
	cmd := exec.CommandContext(ctx, goCmd, "build", "-trimpath", "-ldflags", ldflags, "-o", out, mainPackage)
	cmd.Dir = opts.ModuleDir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS=linux", "GOARCH="+arch)
	if b, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build linux/%s: %w\n%s", arch, err, b)
	}
	return nil
}
