package sandbox

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

func TestMain(m *testing.M) {
	Init()
	os.Exit(m.Run())
}

func TestCommandRunsInItsOwnNamespaces(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mount and UTS namespaces")
	}
	dir := t.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.MkdirAll(src, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "f"), []byte("inside"), 0o644); err != nil {
		t.Fatal(err)
	}
	hosts := filepath.Join(dir, "hosts")
	if err := os.WriteFile(hosts, []byte("10.1.2.3 pod-a\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, "deep", "mnt")
	script := `hostname; cat ` + target + `/f; echo; touch ` + target + `/g 2>/dev/null || echo ro; cat /etc/hosts; pwd; echo $FOO; echo ${SPARKPLANE_SANDBOX_SPEC:-unset}`
	cmd, err := Command(Spec{
		Argv: []string{"sh", "-c", script}, Env: []string{"PATH=/usr/bin:/bin", "FOO=bar"},
		Dir: filepath.Join(dir, "work"), Hostname: "pod-a", HostsFile: hosts,
		Mounts: []Mount{{Source: src, Target: target, ReadOnly: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	want := "pod-a\ninside\nro\n10.1.2.3 pod-a\n" + filepath.Join(dir, "work") + "\nbar\nunset\n"
	if out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	if _, err := os.Stat(filepath.Join(target, "f")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the mount is visible on the host: %v", err)
	}
	if h, _ := os.Hostname(); h == "pod-a" {
		t.Fatal("the host's name changed")
	}
}

func TestCommandNotFoundExits127(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mount and UTS namespaces")
	}
	cmd, err := Command(Spec{Argv: []string{"no-such-command-xyz"}, Env: []string{"PATH=/usr/bin:/bin"}})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stderr = &out
	err = cmd.Run()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.ExitCode() != ExitNotFound {
		t.Fatalf("err = %v (%s), want exit %d", err, out.String(), ExitNotFound)
	}
}

// TestMountOverTheFolderOfLaterSources: a volume mounted over a folder that
// holds the sources of later mounts, the hosts file and the log of created
// mount points (an emptyDir at /tmp while the node's state is under /tmp)
// hides none of them.
func TestMountOverTheFolderOfLaterSources(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root: mount and UTS namespaces")
	}
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	state := filepath.Join(dir, "state")
	for _, d := range []string{empty, filepath.Join(state, "conf")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.WriteFile(filepath.Join(state, "conf", "c"), []byte("config"), 0o644); err != nil {
		t.Fatal(err)
	}
	hosts := filepath.Join(state, "hosts")
	if err := os.WriteFile(hosts, []byte("10.1.2.3 pod-b\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	created := filepath.Join(state, "created")
	confTarget := filepath.Join(dir, "made", "conf") // a missing mount point: logged
	cmd, err := Command(Spec{
		Argv: []string{"sh", "-c", "ls " + dir + "; cat " + confTarget + "/c; echo; cat /etc/hosts"}, Env: []string{"PATH=/usr/bin:/bin"},
		Hostname: "pod-b", HostsFile: hosts, CreatedLog: created,
		Mounts: []Mount{{Source: empty, Target: dir}, {Source: filepath.Join(state, "conf"), Target: confTarget, ReadOnly: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := Start(cmd); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, out.String())
	}
	if want := "made\nconfig\n10.1.2.3 pod-b\n"; out.String() != want {
		t.Fatalf("output %q, want %q", out.String(), want)
	}
	// The mount point was made inside the first mount (in empty), so it is
	// not the host's to clean up; the log is still the host's file.
	if _, err := os.Stat(filepath.Join(empty, "made", "conf")); err != nil {
		t.Fatalf("the mount point is not in the first mount's source: %v", err)
	}
	if b, err := os.ReadFile(created); err != nil && !errors.Is(err, os.ErrNotExist) || len(b) != 0 {
		t.Fatalf("created-mount-point log = %q, %v; want empty", b, err)
	}
}
