package buildscript

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestRepoRootFindsTheCheckout(t *testing.T) {
	root, err := RepoRoot("scripts/setup.sh")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Errorf("%s holds no go.mod: %v", root, err)
	}
	if _, err := RepoRoot("scripts/no-such-script.sh"); err == nil || !strings.Contains(err.Error(), "cannot find") {
		t.Errorf("a missing script: %v", err)
	}
}

func TestRunReportsTheScriptsFailure(t *testing.T) {
	_, err := Run(context.Background(), "scripts/no-such-script.sh")
	if err == nil {
		t.Fatal("ran a script that does not exist")
	}
}

func TestLastLines(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{{"a\nb\nc\n", 2, "b\nc"}, {"a\n", 3, "a"}, {"", 1, ""}} {
		if got := LastLines(c.in, c.n); got != c.want {
			t.Errorf("LastLines(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}
