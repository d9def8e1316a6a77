package ociimage

import (
	"fmt"
	"io"
	"regexp"
	"strings"
	"time"
)

// DefaultRepository is the image's name, without a tag.
const DefaultRepository = "ghcr.io/sparkplane/sparkplane"

// DefaultCACerts is the build host's CA bundle (Debian's), copied into the
// image so the server can reach S3 and other HTTPS endpoints.
const DefaultCACerts = "/etc/ssl/certs/ca-certificates.crt"

// Architectures are the linux platforms the image index holds.
var Architectures = []string{"amd64", "arm64"}

// Options say what to build.
type Options struct {
	// ModuleDir is the sparkplane checkout that go build runs in.
	ModuleDir string
	// Go is the go command (default "go" from $PATH).
	Go string
	// Version is stamped into the binary and tags the image; Revision is
	// the commit it is built from (may be empty).
	Version, Revision string
	// Created is every timestamp in the image (the commit time, or
	// $SOURCE_DATE_EPOCH), so builds are reproducible.
	Created time.Time
	// Repository names the image (default DefaultRepository).
	Repository string
	// CACerts is the PEM bundle copied to the image (default DefaultCACerts).
	CACerts string
	// Progress receives a line per step; nil: nothing.
	Progress io.Writer
}

func (o Options) repository() string {
	if o.Repository != "" {
		return o.Repository
	}
	return DefaultRepository
}

func (o Options) caCerts() string {
	if o.CACerts != "" {
		return o.CACerts
	}
	return DefaultCACerts
}

func (o Options) progress(format string, args ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", args...)
	}
}

// notTagChars are the characters a tag may not hold.
var notTagChars = regexp.MustCompile(`[^A-Za-z0-9_.-]`)

// Tag is the image tag of the version: characters a tag may not hold become
// "-" (a version such as "v1.2.0" or "ef2da64-dirty" stays as it is).
func (o Options) Tag() string {
	t := notTagChars.ReplaceAllString(o.Version, "-")
	t = strings.TrimLeft(t, ".-")
	if len(t) > 128 {
		t = t[:128]
	}
	if t == "" {
		return "dev"
	}
	return t
}

// Reference is the image's full name with its tag.
func (o Options) Reference() string { return o.repository() + ":" + o.Tag() }

func (o Options) validate() error {
	switch {
	case o.Version == "":
		return fmt.Errorf("version: must not be empty")
	case o.Created.IsZero():
		return fmt.Errorf("created: must be set (the commit time or $SOURCE_DATE_EPOCH) so the build is reproducible")
	}
	return nil
}
