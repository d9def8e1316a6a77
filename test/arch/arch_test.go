// Package arch checks the rules that keep sparkplane's packages apart (see
// docs/ARCHITECTURE.md): what each package may import, and that only
// internal/config reads the environment.
package arch

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

const module = "github.com/sparkplane/sparkplane/"

// forbidden lists, for each package pattern, the packages of ours that it
// must not depend on, directly or not.
var forbidden = []struct {
	pkg     string
	mustNot []string
}{
	{"internal/emr", []string{"internal/"}}, // the domain imports nothing of ours
	{"internal/runtime/...", []string{"internal/controller", "internal/store", "internal/api", "internal/app"}},
	{"internal/controller", []string{"internal/runtime/local", "internal/runtime/kubernetes", "internal/api", "internal/app"}},
	{"internal/api", []string{"internal/runtime/local", "internal/runtime/kubernetes", "internal/controller", "internal/app"}},
	{"internal/store/...", []string{"internal/runtime", "internal/controller", "internal/api", "internal/app"}},
	{"internal/sparkui", []string{"internal/runtime", "internal/controller", "internal/store", "internal/api", "internal/app"}},
	// metrics implements what the API and the controller declare; neither imports it.
	{"internal/metrics", []string{"internal/runtime", "internal/controller", "internal/api", "internal/app"}},
	{"internal/controller", []string{"internal/metrics"}},
	{"internal/api", []string{"internal/metrics"}},
	{"internal/events", []string{"internal/runtime", "internal/controller", "internal/api", "internal/app", "internal/store/"}}, // the store.Events interface only
	// the ACK reconciler is a client of the API, through its HTTP handler only.
	{"internal/ack", []string{"internal/store", "internal/controller", "internal/runtime", "internal/api", "internal/app", "internal/emr"}},
}

func TestImports(t *testing.T) {
	for _, rule := range forbidden {
		out, err := exec.Command("go", "list", "-deps", "-f", `{{if not .Standard}}{{.ImportPath}}{{end}}`, "../../"+rule.pkg).Output()
		if err != nil {
			t.Fatalf("go list %s: %v", rule.pkg, err)
		}
		own := strings.TrimSuffix(module+rule.pkg, "/...")
		for dep := range strings.FieldsSeq(string(out)) {
			path, ours := strings.CutPrefix(dep, module)
			if !ours || strings.HasPrefix(dep, own) {
				continue
			}
			for _, bad := range rule.mustNot {
				if path == bad || strings.HasPrefix(path, strings.TrimSuffix(bad, "/")+"/") || strings.HasSuffix(bad, "/") && strings.HasPrefix(path, bad) {
					t.Errorf("%s depends on %s", rule.pkg, path)
				}
			}
		}
	}
}

// envReader matches the reads of the process environment.
var envReader = regexp.MustCompile(`\bos\.(Getenv|LookupEnv|Environ)\(`)

// TestEnvironmentReadInConfigOnly: the environment is read in
// internal/config; internal/nodeagent/sandbox (a re-executed child reading
// its own spec) and internal/testenv (test harnesses) are the exceptions.
func TestEnvironmentReadInConfigOnly(t *testing.T) {
	allowed := []string{"internal/config/", "internal/nodeagent/sandbox/", "internal/testenv/"}
	for _, root := range []string{"../../internal", "../../cmd"} {
		err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
			if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
				return err
			}
			rel := strings.TrimPrefix(filepath.ToSlash(path), "../../")
			for _, a := range allowed {
				if strings.HasPrefix(rel, a) {
					return nil
				}
			}
			src, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			sc := bufio.NewScanner(bytes.NewReader(src))
			for n := 1; sc.Scan(); n++ {
				if line := sc.Text(); envReader.MatchString(line) && !strings.HasPrefix(strings.TrimSpace(line), "//") {
					t.Errorf("%s:%d reads the environment; read it in internal/config and pass it down", rel, n)
				}
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}
