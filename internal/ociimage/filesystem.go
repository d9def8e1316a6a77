package ociimage

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"os"
	"time"
)

// The user the server runs as: not root, the uid distroless images use for
// the same purpose, so Kubernetes' runAsNonRoot accepts the image.
const (
	UserName = "sparkplane"
	UID      = 65532
	GID      = 65532
)

// Paths in the image.
const (
	BinaryPath = "/usr/local/bin/sparkplane"
	HomeDir    = "/home/sparkplane"
	// DataDir is the server's data directory: $XDG_DATA_HOME/sparkplane
	// with the image's XDG_DATA_HOME; mount a volume here to keep the state.
	DataDir = "/var/lib/sparkplane"
	// ConfigFile is the configuration file the default command reads;
	// mount it (a ConfigMap, say).
	ConfigFile = "/etc/sparkplane/config.yaml"
	// CACertsPath is where Go (and OpenSSL) look for the CA bundle.
	CACertsPath = "/etc/ssl/certs/ca-certificates.crt"
)

// entry is one file or directory of a layer.
type entry struct {
	name     string // without a leading "/"; a directory ends in "/"
	mode     int64
	uid, gid int
	body     []byte
}

func dir(name string, mode int64) entry { return entry{name: name, mode: mode} }

func file(name string, mode int64, body string) entry {
	return entry{name: name, mode: mode, body: []byte(body)}
}

func owned(e entry) entry {
	e.uid, e.gid = UID, GID
	return e
}

const passwd = "root:x:0:0:root:/root:/sbin/nologin\n" +
	"nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n" +
	"sparkplane:x:65532:65532:sparkplane:/home/sparkplane:/sbin/nologin\n"

const group = "root:x:0:\n" +
	"nogroup:x:65534:\n" +
	"sparkplane:x:65532:\n"

// baseEntries is the base layer: a root filesystem with just what a static
// Go server needs. caCerts is the PEM bundle.
func baseEntries(caCerts []byte) []entry {
	return []entry{
		dir("etc/", 0o755),
		file("etc/group", 0o644, group),
		// Go's resolver reads it: hosts from /etc/hosts, then DNS.
		file("etc/nsswitch.conf", 0o644, "hosts: files dns\n"),
		file("etc/passwd", 0o644, passwd),
		dir("etc/sparkplane/", 0o755),
		dir("etc/ssl/", 0o755),
		dir("etc/ssl/certs/", 0o755),
		{name: "etc/ssl/certs/ca-certificates.crt", mode: 0o644, body: caCerts},
		dir("home/", 0o755),
		owned(dir("home/sparkplane/", 0o700)),
		dir("root/", 0o700),
		dir("tmp/", 0o1777),
		dir("usr/", 0o755),
		dir("usr/local/", 0o755),
		dir("usr/local/bin/", 0o755),
		dir("var/", 0o755),
		dir("var/lib/", 0o755),
		owned(dir("var/lib/sparkplane/", 0o700)),
	}
}

// binaryEntries is the layer with the server: root-owned, so the server
// cannot replace itself.
func binaryEntries(binary []byte) []entry {
	return []entry{{name: BinaryPath[1:], mode: 0o755, body: binary}}
}

// userName names the owner of uid in the layers.
func userName(uid int) string {
	if uid == UID {
		return UserName
	}
	return "root"
}

// layerTar is the gzipped tar of entries, every timestamp mtime, so the
// same entries give the same bytes.
func layerTar(entries []entry, mtime time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	for _, e := range entries {
		h := &tar.Header{
			Name: e.name, Mode: e.mode, Uid: e.uid, Gid: e.gid,
			Uname: userName(e.uid), Gname: userName(e.gid),
			ModTime: mtime, Format: tar.FormatPAX,
		}
		if e.name[len(e.name)-1] == '/' {
			h.Typeflag = tar.TypeDir
		} else {
			h.Typeflag, h.Size = tar.TypeReg, int64(len(e.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("layer %s: %w", e.name, err)
		}
		if _, err := tw.Write(e.body); err != nil {
			return nil, fmt.Errorf("layer %s: %w", e.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// readCACerts reads the PEM bundle at path, which must not be empty.
func readCACerts(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("CA certificates: %w (install Debian's ca-certificates, or give another bundle)", err)
	}
	if !bytes.Contains(b, []byte("-----BEGIN CERTIFICATE-----")) {
		return nil, fmt.Errorf("CA certificates %s: no PEM certificate in it", path)
	}
	return b, nil
}
