package s3server

import (
	"context"
	"fmt"
	"github.com/sparkplane/sparkplane/internal/buildscript"
	"path/filepath"

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
		if err := buildscript.IsExecutable(p); err != nil {
			return "", fmt.Errorf("s3server: %s=%s: %w", config.EnvVersityGW, p, err)
		}
		return p, nil
	}
	cached := filepath.Join(env.CacheDir(), "versitygw-"+Version, "versitygw")
	if buildscript.IsExecutable(cached) == nil {
		return cached, nil
	}
	p, err := buildscript.Run(ctx, buildScript)
	if err != nil {
		return "", fmt.Errorf("s3server: no versitygw at %s (run %s, or set %s): %w", cached, buildScript, config.EnvVersityGW, err)
	}
	if err := buildscript.IsExecutable(p); err != nil {
		return "", fmt.Errorf("s3server: %s printed %q: %w", buildScript, p, err)
	}
	return p, nil
}
