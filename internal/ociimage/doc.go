// Package ociimage builds sparkplane's container image without Docker: it
// cross-compiles a static binary per platform, puts it on a base layer the
// build writes itself (users, CA certificates, the data directory; nothing
// pulled from a registry), and writes the images as one multi-platform OCI
// image index in an OCI image layout and an OCI archive. Every timestamp is
// Options.Created, so the same sources and options give the same digests.
// scripts/image (make image) is its command line.
package ociimage
