package ociimage

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// APIPort is the port the image's server is meant to listen on (its
// configuration says addr: 0.0.0.0:8080, the server's default port).
const APIPort = "8080/tcp"

// Source is the project's repository, the image's source label.
const Source = "https://github.com/sparkplane/sparkplane"

// Entrypoint and Cmd of the image: the server, reading ConfigFile.
var (
	Entrypoint = []string{BinaryPath}
	Cmd        = []string{"server", "--config=" + ConfigFile}
)

// Assemble builds the image index from the compiled binaries (arch → the
// binary's path): per architecture a base layer and a layer with the
// binary, in the order of Architectures.
func Assemble(opts Options, binaries map[string]string) (v1.ImageIndex, error) {
	if err := opts.validate(); err != nil {
		return nil, err
	}
	created := v1.Time{Time: opts.Created.UTC().Truncate(time.Second)}
	caCerts, err := readCACerts(opts.caCerts())
	if err != nil {
		return nil, err
	}
	baseTar, err := layerTar(baseEntries(caCerts), created.Time)
	if err != nil {
		return nil, err
	}
	base, err := layer(baseTar)
	if err != nil {
		return nil, err
	}
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range Architectures {
		path, ok := binaries[arch]
		if !ok {
			return nil, fmt.Errorf("no binary for linux/%s", arch)
		}
		img, err := platformImage(opts, arch, base, path, created)
		if err != nil {
			return nil, fmt.Errorf("linux/%s: %w", arch, err)
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{Add: img, Descriptor: v1.Descriptor{Platform: cf.Platform()}})
	}
	return mutate.Annotations(idx, labels(opts, created)).(v1.ImageIndex), nil
}

// platformImage is the image of one architecture.
func platformImage(opts Options, arch string, base v1.Layer, binaryPath string, created v1.Time) (v1.Image, error) {
	binary, err := os.ReadFile(binaryPath)
	if err != nil {
		return nil, err
	}
	binTar, err := layerTar(binaryEntries(binary), created.Time)
	if err != nil {
		return nil, err
	}
	bin, err := layer(binTar)
	if err != nil {
		return nil, err
	}
	img := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err = mutate.Append(img,
		mutate.Addendum{Layer: base, MediaType: types.OCILayer, History: v1.History{Created: created,
			CreatedBy: "sparkplane ociimage: base (users, CA certificates, " + DataDir + ")"}},
		mutate.Addendum{Layer: bin, MediaType: types.OCILayer, History: v1.History{Created: created,
			CreatedBy: "sparkplane ociimage: go build -trimpath " + mainPackage + " (CGO_ENABLED=0 GOOS=linux GOARCH=" + arch + ")"}},
	)
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.Architecture, cf.OS, cf.Created = arch, "linux", created
	if arch == "arm64" {
		cf.Variant = "v8"
	}
	cf.Config = v1.Config{
		Entrypoint: Entrypoint,
		Cmd:        Cmd,
		User:       fmt.Sprintf("%d:%d", UID, GID),
		WorkingDir: HomeDir,
		Env: []string{
			"PATH=/usr/local/bin:/usr/bin:/bin",
			"HOME=" + HomeDir,
			"XDG_DATA_HOME=/var/lib",
			"SSL_CERT_FILE=" + CACertsPath,
		},
		ExposedPorts: map[string]struct{}{APIPort: {}},
		Labels:       labels(opts, created),
		StopSignal:   "SIGTERM",
	}
	return mutate.ConfigFile(img, cf)
}

// labels are the OCI annotations of the image (the config's labels and the
// index's annotations).
func labels(opts Options, created v1.Time) map[string]string {
	l := map[string]string{
		"org.opencontainers.image.title":       "sparkplane",
		"org.opencontainers.image.description": "A self-hosted control plane for Apache Spark on Kubernetes that speaks the Amazon EMR on EKS API",
		"org.opencontainers.image.source":      Source,
		"org.opencontainers.image.url":         Source,
		"org.opencontainers.image.version":     opts.Version,
		"org.opencontainers.image.created":     created.UTC().Format("2006-01-02T15:04:05Z"),
	}
	if opts.Revision != "" {
		l["org.opencontainers.image.revision"] = opts.Revision
	}
	return l
}

// layer is a gzipped layer tar as a v1.Layer (kept in memory).
func layer(gz []byte) (v1.Layer, error) {
	return tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(gz)), nil
	}, tarball.WithMediaType(types.OCILayer))
}
