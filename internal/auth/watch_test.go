package auth

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// waitFor polls cond for up to 5 s.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}

// replaceFile writes content to path by rename, as editors and config
// management do.
func replaceFile(t *testing.T, path, content string, mode os.FileMode) {
	t.Helper()
	tmp := filepath.Join(filepath.Dir(path), ".access.tmp")
	if err := os.WriteFile(tmp, []byte(content), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(tmp, mode); err != nil { // umask
		t.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		t.Fatal(err)
	}
}

func TestWatchReloads(t *testing.T) {
	var logs logBuffer
	path := writeFile(t, t.TempDir(), testAccessYAML)
	a, err := Load(path, testOptions(&logs))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { a.Watch(ctx, 10*time.Millisecond); close(done) }()
	t.Cleanup(func() { cancel(); <-done })

	hasKey := func(id string) bool { _, ok := a.lookup(id); return ok }

	// A good new version: carol added, alice's secret rotated.
	const carol = "  - name: carol\n    accessKeys:\n      - {id: AKIACAROLEXAMPLE0001, secret: carol-secret-Hq2Vb7}\n"
	good := strings.Replace(testAccessYAML, "roles:\n", carol+"roles:\n", 1)
	good = strings.Replace(good, aliceSecret, "wJalrXUtnFEMI/K7MDENG/ROTATEDALICEKEY", 1)
	replaceFile(t, path, good, 0o600)
	waitFor(t, "carol", func() bool { return hasKey("AKIACAROLEXAMPLE0001") })
	if c, _ := a.lookup(aliceID); c.secret != "wJalrXUtnFEMI/K7MDENG/ROTATEDALICEKEY" {
		t.Error("alice's secret was not rotated")
	}
	waitFor(t, "the reload log", func() bool { return strings.Contains(logs.String(), "access file reloaded") })
	if !strings.Contains(logs.String(), "users=3 roles=1 accessKeys=5") {
		t.Errorf("reload log lacks counts:\n%s", logs.String())
	}

	// Bad versions keep the good one and log an error, once each.
	bad := []struct {
		name, content string
		mode          os.FileMode
	}{
		{"invalid", strings.Replace(good, "groups: [team-a]", "groups: [team-z]", 1), 0o600},
		{"syntax", good + "\n  secret: " + aliceSecret + ": x\n", 0o600},
		{"world readable", good, 0o644},
	}
	for i, b := range bad {
		replaceFile(t, path, b.content, b.mode)
		waitFor(t, b.name+" logged", func() bool { return strings.Count(logs.String(), "not reloaded") == i+1 })
		if !hasKey("AKIACAROLEXAMPLE0001") {
			t.Fatalf("%s: the good version was dropped", b.name)
		}
	}
	time.Sleep(50 * time.Millisecond) // a few more polls: no repeated logs
	if n := strings.Count(logs.String(), "not reloaded"); n != len(bad) {
		t.Errorf("%d error logs for %d bad versions", n, len(bad))
	}

	// An edit in place back to the original is picked up.
	if err := os.Chmod(path, 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(testAccessYAML), 0o600); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "carol gone", func() bool { return !hasKey("AKIACAROLEXAMPLE0001") && hasKey(aliceID) })

	// Removal keeps the credentials.
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "removal logged", func() bool { return strings.Contains(logs.String(), "access file unreadable") })
	if !hasKey(aliceID) {
		t.Error("removal dropped the credentials")
	}

	text := logs.String()
	assertNoSecret(t, "log", text)
	for _, s := range []string{"ROTATEDALICEKEY", "carol-secret-Hq2Vb7"} {
		if strings.Contains(text, s) {
			t.Errorf("log leaks %s:\n%s", s, text)
		}
	}
}

func TestReload(t *testing.T) {
	var logs logBuffer
	path := writeFile(t, t.TempDir(), testAccessYAML)
	a, err := Load(path, testOptions(&logs))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte("users: [{name: x, accessKeys: [{id: AKIAXEXAMPLE00000001, secret: s-"+aliceSecret+"}]}]\nbogus: 1\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := a.Reload(); err == nil {
		t.Fatal("a bad file reloaded")
	}
	if _, ok := a.lookup(aliceID); !ok {
		t.Error("a failed reload dropped the credentials")
	}
	assertNoSecret(t, "log", logs.String())
}
