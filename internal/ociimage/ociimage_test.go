package ociimage

import (
	"archive/tar"
	"bytes"
	"context"
	"debug/elf"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// machines is the ELF machine each architecture's binary must be for.
var machines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

// TestImage builds the image of this checkout (both binaries, for real),
// writes the layout and the archive, loads the layout back and checks what
// a container runtime would run.
func TestImage(t *testing.T) {
	if testing.Short() {
		t.Skip("cross-compiles sparkplane for two architectures (a minute or more)")
	}
	moduleDir, err := filepath.Abs("../..")
	if err != nil {
		t.Fatal(err)
	}
	work := t.TempDir()
	opts := Options{ModuleDir: moduleDir, Version: "v0.0.0-imagetest+dirty",
		Revision: "0123456789abcdef0123456789abcdef01234567", Created: time.Unix(1700000000, 0)}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	built, err := Build(ctx, opts, filepath.Join(work, "build"))
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(work, "sparkplane-oci")
	if err := WriteLayout(dir, built, opts); err != nil {
		t.Fatal(err)
	}

	idx := loadLayout(t, dir, opts)
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if im.MediaType != types.OCIImageIndex {
		t.Errorf("index media type %s, want %s", im.MediaType, types.OCIImageIndex)
	}
	if got := im.Annotations["org.opencontainers.image.revision"]; got != opts.Revision {
		t.Errorf("index revision annotation %q, want %q", got, opts.Revision)
	}
	var platforms []string
	for _, d := range im.Manifests {
		if d.Platform == nil {
			t.Fatalf("manifest %s has no platform", d.Digest)
		}
		platforms = append(platforms, d.Platform.OS+"/"+d.Platform.Architecture)
		if d.MediaType != types.OCIManifestSchema1 {
			t.Errorf("%s: media type %s, want %s", d.Platform, d.MediaType, types.OCIManifestSchema1)
		}
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		t.Run(d.Platform.Architecture, func(t *testing.T) {
			checkImage(t, img, *d.Platform, opts, filepath.Join(work, "root-"+d.Platform.Architecture))
		})
	}
	if !slices.Equal(platforms, []string{"linux/amd64", "linux/arm64"}) {
		t.Errorf("platforms %v, want exactly linux/amd64 and linux/arm64", platforms)
	}

	t.Run("reproducible", func(t *testing.T) {
		again, err := Assemble(opts, map[string]string{
			"amd64": filepath.Join(work, "build", "sparkplane-linux-amd64"),
			"arm64": filepath.Join(work, "build", "sparkplane-linux-arm64"),
		})
		if err != nil {
			t.Fatal(err)
		}
		want, _ := built.Digest()
		if got, _ := again.Digest(); got != want {
			t.Errorf("assembling the same binaries again gave index %s, first %s", got, want)
		}
	})

	t.Run("archive", func(t *testing.T) {
		archive := filepath.Join(work, "sparkplane.tar")
		if err := WriteArchive(dir, archive, opts.Created); err != nil {
			t.Fatal(err)
		}
		checkArchive(t, archive, dir)
	})
}

// loadLayout reads the layout at dir back and returns the image index its
// one index.json entry names, after checking the entry's names.
func loadLayout(t *testing.T, dir string, opts Options) v1.ImageIndex {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	top, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	tm, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(tm.Manifests) != 1 {
		t.Fatalf("index.json has %d entries, want 1", len(tm.Manifests))
	}
	entry := tm.Manifests[0]
	if got, want := entry.Annotations[AnnotationRefName], "v0.0.0-imagetest-dirty"; got != want || opts.Tag() != want {
		t.Errorf("ref.name %q (Tag %q), want %q", got, opts.Tag(), want)
	}
	if got, want := entry.Annotations[AnnotationContainerdRef], "ghcr.io/sparkplane/sparkplane:v0.0.0-imagetest-dirty"; got != want {
		t.Errorf("containerd name %q, want %q", got, want)
	}
	idx, err := top.ImageIndex(entry.Digest)
	if err != nil {
		t.Fatal(err)
	}
	return idx
}

// checkImage checks the config and the filesystem of one platform's image,
// and runs its binary when it is this machine's architecture.
func checkImage(t *testing.T, img v1.Image, platform v1.Platform, opts Options, root string) {
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	if cf.OS != "linux" || cf.Architecture != platform.Architecture {
		t.Errorf("config platform %s/%s, index says %s", cf.OS, cf.Architecture, platform)
	}
	if !cf.Created.Equal(opts.Created) {
		t.Errorf("created %s, want %s", cf.Created, opts.Created)
	}
	if !slices.Equal(c.Entrypoint, []string{"/usr/local/bin/sparkplane"}) {
		t.Errorf("entrypoint %q", c.Entrypoint)
	}
	if !slices.Equal(c.Cmd, []string{"server", "--config=/etc/sparkplane/config.yaml"}) {
		t.Errorf("cmd %q", c.Cmd)
	}
	if c.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532 (not root)", c.User)
	}
	if _, ok := c.ExposedPorts["8080/tcp"]; !ok {
		t.Errorf("exposed ports %v, want 8080/tcp", c.ExposedPorts)
	}
	if c.Labels["org.opencontainers.image.version"] != opts.Version || c.Labels["org.opencontainers.image.source"] != Source {
		t.Errorf("labels %v", c.Labels)
	}
	for _, e := range c.Env {
		if k, _, _ := strings.Cut(e, "="); strings.Contains(k, "KEY") || strings.Contains(k, "SECRET") || strings.HasPrefix(k, "AWS_") {
			t.Errorf("env %s: no credentials in the image", k)
		}
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Layers) != 2 || m.Config.MediaType != types.OCIConfigJSON {
		t.Errorf("manifest: %d layers, config %s; want 2 layers and an OCI config", len(m.Layers), m.Config.MediaType)
	}

	files := flatten(t, img)
	wantFiles := []struct {
		name     string
		mode     int64
		uid, gid int
	}{
		{"usr/local/bin/sparkplane", 0o755, 0, 0},
		{"etc/passwd", 0o644, 0, 0},
		{"etc/group", 0o644, 0, 0},
		{"etc/ssl/certs/ca-certificates.crt", 0o644, 0, 0},
		{"tmp/", 0o1777, 0, 0},
		{"var/lib/sparkplane/", 0o700, 65532, 65532},
		{"home/sparkplane/", 0o700, 65532, 65532},
		{"etc/sparkplane/", 0o755, 0, 0},
	}
	// Extract names directories without their trailing "/".
	for _, w := range wantFiles {
		f, ok := files[strings.TrimSuffix(w.name, "/")]
		switch {
		case !ok:
			t.Errorf("%s: not in the image", w.name)
		case strings.HasSuffix(w.name, "/") != (f.hdr.Typeflag == tar.TypeDir):
			t.Errorf("%s: type %c", w.name, f.hdr.Typeflag)
		case f.hdr.Mode != w.mode || f.hdr.Uid != w.uid || f.hdr.Gid != w.gid:
			t.Errorf("%s: mode %o owner %d:%d, want %o %d:%d", w.name, f.hdr.Mode, f.hdr.Uid, f.hdr.Gid, w.mode, w.uid, w.gid)
		case !f.hdr.ModTime.Equal(opts.Created):
			t.Errorf("%s: mtime %s, want %s", w.name, f.hdr.ModTime, opts.Created)
		}
	}
	if !strings.Contains(string(files["etc/passwd"].body), "\nsparkplane:x:65532:65532:") {
		t.Errorf("/etc/passwd has no sparkplane user with uid 65532:\n%s", files["etc/passwd"].body)
	}
	if !strings.Contains(string(files["etc/group"].body), "\nsparkplane:x:65532:") {
		t.Errorf("/etc/group has no sparkplane group with gid 65532:\n%s", files["etc/group"].body)
	}
	host, err := os.ReadFile(DefaultCACerts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(files["etc/ssl/certs/ca-certificates.crt"].body, host) {
		t.Error("the image's CA bundle is not the build host's")
	}

	binary := files["usr/local/bin/sparkplane"].body
	checkStaticELF(t, binary, machines[platform.Architecture])
	if platform.Architecture == runtime.GOARCH && runtime.GOOS == "linux" {
		extract(t, files, root)
		checkRuns(t, root, cf, opts)
	}
}

// checkStaticELF checks that binary is a 64-bit ELF executable for machine
// with no interpreter and no dynamic section: it needs no libc.
func checkStaticELF(t *testing.T, binary []byte, machine elf.Machine) {
	t.Helper()
	f, err := elf.NewFile(bytes.NewReader(binary))
	if err != nil {
		t.Fatalf("binary is not ELF: %v", err)
	}
	defer f.Close()
	if f.Machine != machine || f.Class != elf.ELFCLASS64 || f.Type != elf.ET_EXEC {
		t.Errorf("ELF %s %s %s, want %s ELFCLASS64 ET_EXEC", f.Machine, f.Class, f.Type, machine)
	}
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("binary has a %s program header: not static", p.Type)
		}
	}
	if s := f.Section(".dynamic"); s != nil {
		t.Error("binary has a .dynamic section: not static")
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("binary needs %v", libs)
	}
}

// checkRuns runs the image's binary from its extracted filesystem: the
// version; the default command, which must stop at the missing
// configuration file; then the server with a configuration file mounted,
// until /healthz answers and the store is in the data directory. As root
// (the usual case here) it runs chrooted into the image's filesystem as the
// image's user, so nothing of the host is used; otherwise the image's paths
// are rewritten into root.
func checkRuns(t *testing.T, root string, cf *v1.ConfigFile, opts Options) {
	t.Helper()
	chroot := os.Geteuid() == 0
	path := func(p string) string {
		if chroot {
			return p
		}
		return filepath.Join(root, p)
	}
	command := func(args ...string) *exec.Cmd {
		cmd := exec.Command(path(args[0]), args[1:]...)
		cmd.Env = slices.Clone(cf.Config.Env)
		if chroot {
			cmd.SysProcAttr = chrootAs(root, UID, GID)
			cmd.Dir = cf.Config.WorkingDir
		} else {
			cmd.Env = append(cmd.Env, "HOME="+path(HomeDir), "XDG_DATA_HOME="+path("/var/lib"))
		}
		return cmd
	}
	ep := cf.Config.Entrypoint
	out, err := command(ep[0], "version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "sparkplane "+opts.Version+" (") {
		t.Errorf("sparkplane version: %v, %q; want it to print %s", err, out, opts.Version)
	}
	defaultCmd := slices.Concat(ep, cf.Config.Cmd)
	if !chroot {
		defaultCmd = slices.Concat(ep, []string{"server", "--config=" + path(ConfigFile)})
	}
	out, err = command(defaultCmd...).CombinedOutput()
	var exit *exec.ExitError
	if !errors.As(err, &exit) || exit.ExitCode() != 1 || !strings.Contains(string(out), path(ConfigFile)) {
		t.Errorf("the default command without its configuration file: %v, %q; want exit 1 naming %s", err, out, ConfigFile)
	}

	// A server that only drives a Kubernetes cluster (the image has no
	// Spark); the cluster is not contacted until a run needs it.
	addr := freeAddr(t)
	kubeconfig := "apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: \"https://127.0.0.1:1\"}}]\n" +
		"users: [{name: u, user: {token: t}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n"
	config := "addr: " + addr + "\nclusters:\n- id: eks\n  kubeconfig: " + path("/etc/sparkplane/kubeconfig") + "\n"
	for name, body := range map[string]string{ConfigFile: config, "/etc/sparkplane/kubeconfig": kubeconfig} {
		if err := os.WriteFile(filepath.Join(root, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	server := command(defaultCmd...)
	var log bytes.Buffer
	server.Stdout, server.Stderr = &log, &log
	if err := server.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- server.Wait() }()
	healthy := false
	defer func() {
		_ = server.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil && healthy {
			t.Errorf("server stopped with %v (SIGTERM):\n%s", err, log.String())
		}
	}()
	if err := waitHealthy(addr, exited); err != nil {
		t.Fatalf("server in the image: %v\n%s", err, log.String())
	}
	healthy = true
	info, err := os.Stat(filepath.Join(root, DataDir, "sparkplane.db"))
	if err != nil {
		t.Fatalf("store not in the data dir %s: %v", DataDir, err)
	}
	if st := info.Sys().(*syscall.Stat_t); chroot && (st.Uid != UID || info.Mode().Perm() != 0o600) {
		t.Errorf("store owned by %d, mode %s; want %d, 0600", st.Uid, info.Mode(), UID)
	}
}

// freeAddr is a loopback address with a port nothing listens on.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// waitHealthy waits until the server at addr answers /healthz, or exits
// (its exit error is put back in exited).
func waitHealthy(addr string, exited chan error) error {
	deadline := time.Now().Add(time.Minute)
	for {
		resp, err := http.Get("http://" + addr + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = errors.New(resp.Status)
		}
		select {
		case werr := <-exited:
			exited <- werr
			return fmt.Errorf("exited (%v) before answering /healthz", werr)
		case <-time.After(100 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("/healthz: %w", err)
		}
	}
}

// chrootAs runs a command inside root as uid:gid.
func chrootAs(root string, uid, gid uint32) *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Chroot: root, Credential: &syscall.Credential{Uid: uid, Gid: gid}}
}

// layerFile is a file of the flattened image.
type layerFile struct {
	hdr  *tar.Header
	body []byte
}

// flatten reads the image's filesystem (all layers applied).
func flatten(t *testing.T, img v1.Image) map[string]layerFile {
	t.Helper()
	rc := mutate.Extract(img)
	defer rc.Close()
	files := map[string]layerFile{}
	tr := tar.NewReader(rc)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		files[h.Name] = layerFile{hdr: h, body: body}
	}
	return files
}

// extract writes files under root with their modes (and owners, as root).
func extract(t *testing.T, files map[string]layerFile, root string) {
	t.Helper()
	names := make([]string, 0, len(files))
	for name := range files {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		f, path := files[name], filepath.Join(root, name)
		mode := os.FileMode(f.hdr.Mode).Perm()
		if f.hdr.Mode&0o1000 != 0 {
			mode |= os.ModeSticky
		}
		var err error
		if f.hdr.Typeflag == tar.TypeDir {
			err = os.MkdirAll(path, 0o755)
		} else {
			err = os.WriteFile(path, f.body, 0o600)
		}
		if err == nil {
			err = os.Chmod(path, mode)
		}
		if err == nil && os.Geteuid() == 0 {
			err = os.Lchown(path, f.hdr.Uid, f.hdr.Gid)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	// t.TempDir is 0700: let the image's user through to its root.
	if err := os.Chmod(filepath.Dir(root), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(root, 0o755); err != nil {
		t.Fatal(err)
	}
}

// checkArchive checks that the archive holds exactly the layout's files.
func checkArchive(t *testing.T, archive, dir string) {
	t.Helper()
	f, err := os.Open(archive)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	n := 0
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeDir {
			continue
		}
		n++
		got, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, h.Name))
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("archive %s differs from the layout's (%v)", h.Name, err)
		}
	}
	var files int
	filepath.WalkDir(dir, func(_ string, d os.DirEntry, _ error) error {
		if !d.IsDir() {
			files++
		}
		return nil
	})
	// oci-layout, index.json, and the blobs: an index, two manifests,
	// two configs, one shared base layer, two binary layers.
	if n != files || n != 10 {
		t.Errorf("archive has %d files, the layout %d; want 10", n, files)
	}
}
