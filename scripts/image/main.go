// Command image builds sparkplane's container image (linux/amd64 and
// linux/arm64 in one OCI image index) without Docker and without pulling a
// base image, as an OCI image layout and an OCI archive; make image runs it.
// See package ociimage.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/sparkplane/sparkplane/internal/ociimage"
)

func main() {
	out := flag.String("out", "bin/image", "folder for the layout (sparkplane-oci/) and the archive (sparkplane.tar)")
	version := flag.String("version", "dev", "version stamped into the binary; also the image tag")
	revision := flag.String("revision", "", "commit the image is built from (its revision label)")
	epoch := flag.String("epoch", os.Getenv("SOURCE_DATE_EPOCH"), "Unix time of every timestamp in the image (default $SOURCE_DATE_EPOCH; make image gives the commit time)")
	repository := flag.String("repository", ociimage.DefaultRepository, "image name without the tag")
	caCerts := flag.String("ca-certs", ociimage.DefaultCACerts, "PEM CA bundle to copy into the image")
	goCmd := flag.String("go", "go", "go command to compile with")
	flag.Parse()
	if flag.NArg() > 0 {
		flag.Usage()
		os.Exit(2)
	}
	secs, err := strconv.ParseInt(*epoch, 10, 64)
	if err != nil {
		fmt.Fprintf(os.Stderr, "image: -epoch %q: want a Unix time in seconds\n", *epoch)
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	opts := ociimage.Options{ModuleDir: ".", Go: *goCmd, Version: *version, Revision: *revision,
		Created: time.Unix(secs, 0), Repository: *repository, CACerts: *caCerts, Progress: os.Stdout}
	if err := run(ctx, opts, *out); err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, opts ociimage.Options, out string) error {
	work := filepath.Join(out, "build")
	defer os.RemoveAll(work)
	idx, err := ociimage.Build(ctx, opts, work)
	if err != nil {
		return err
	}
	dir, archive := filepath.Join(out, "sparkplane-oci"), filepath.Join(out, "sparkplane.tar")
	fmt.Printf("writing the OCI layout %s…\n", dir)
	if err := ociimage.WriteLayout(dir, idx, opts); err != nil {
		return err
	}
	fmt.Printf("writing the OCI archive %s…\n", archive)
	if err := ociimage.WriteArchive(dir, archive, opts.Created); err != nil {
		return err
	}
	return report(idx, opts, dir, archive)
}

// report prints what was built: the name, the digests and the sizes.
func report(idx v1.ImageIndex, opts ociimage.Options, dir, archive string) error {
	digest, err := idx.Digest()
	if err != nil {
		return err
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return err
	}
	fmt.Printf("\nimage %s@%s\n", opts.Reference(), digest)
	for _, d := range im.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			return err
		}
		size, err := compressedSize(img)
		if err != nil {
			return err
		}
		fmt.Printf("  %-16s %s  %.1f MB compressed\n", d.Platform, d.Digest, float64(size)/1e6)
	}
	info, err := os.Stat(archive)
	if err != nil {
		return err
	}
	fmt.Printf("OCI layout:  %s\nOCI archive: %s (%.1f MB)\n", dir, archive, float64(info.Size())/1e6)
	fmt.Printf("push: crane push %s %s   (or: skopeo copy --all oci:%s:%s docker://%s)\n",
		dir, opts.Reference(), dir, opts.Tag(), opts.Reference())
	return nil
}

// compressedSize is the sum of img's layer sizes.
func compressedSize(img v1.Image) (int64, error) {
	m, err := img.Manifest()
	if err != nil {
		return 0, err
	}
	var n int64
	for _, l := range m.Layers {
		n += l.Size
	}
	return n, nil
}
