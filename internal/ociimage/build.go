package ociimage

import (
	"context"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Build compiles the binary of every architecture into workDir and
// assembles the image index from them.
func Build(ctx context.Context, opts Options, workDir string) (v1.ImageIndex, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(workDir, 0o755); err != nil {
		return nil, err
	}
	binaries := map[string]string{}
	for _, arch := range Architectures {
		opts.progress("building linux/%s binary…", arch)
		out := filepath.Join(workDir, "sparkplane-linux-"+arch)
		if err := Compile(ctx, opts, arch, out); err != nil {
			return nil, err
		}
		binaries[arch] = out
	}
	opts.progress("assembling the image index (%s)…", opts.Reference())
	idx, err := Assemble(opts, binaries)
	if err != nil {
		return nil, fmt.Errorf("assemble image: %w", err)
	}
	return idx, nil
}
