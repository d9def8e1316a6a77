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
