package s3server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/buildscript"
)

// The version the Go code expects is the one the script builds and the
// tools module pins.
func TestVersionMatchesTheBuildScriptAndToolsModule(t *testing.T) {
	root, err := buildscript.RepoRoot(buildScript)
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		buildScript:              "VERSION=" + Version + " ",
		"tools/versitygw/go.mod": "github.com/versity/versitygw " + Version + " ",
	} {
		data, err := os.ReadFile(filepath.Join(root, file))
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(data), want) {
			t.Errorf("%s does not say %q", file, want)
		}
	}
}

func TestReadCredentialsFileReadsTheDefaultProfile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "credentials")
	data := "[other]\naws_access_key_id = NO\naws_secret_access_key = no\n\n[default]\naws_access_key_id=AK\n aws_secret_access_key = s/e+cret=\n"
	if err := os.WriteFile(path, []byte(data), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := ReadCredentialsFile(path)
	if err != nil || c != (Credentials{AccessKeyID: "AK", SecretAccessKey: "s/e+cret="}) {
		t.Fatalf("ReadCredentialsFile = %+v, %v", c, err)
	}
	if err := os.WriteFile(path, []byte("[other]\naws_access_key_id = NO\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := ReadCredentialsFile(path); err == nil {
		t.Fatal("a file without a [default] profile was read")
	}
}

func TestStartRefusesANonLoopbackAddress(t *testing.T) {
	_, err := Start(t.Context(), Options{Dir: t.TempDir(), Address: "0.0.0.0:0", Root: NewCredentials("X")})
	if err == nil || !strings.Contains(err.Error(), "loopback") {
		t.Fatalf("Start on 0.0.0.0: %v", err)
	}
}
