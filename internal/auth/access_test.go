package auth

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadValid(t *testing.T) {
	var checked []string
	o := testOptions(nil)
	o.CheckPolicy = func(name string, doc []byte) error {
		if !strings.HasPrefix(string(doc), "{") {
			t.Errorf("policy %s passed as %q", name, doc)
		}
		checked = append(checked, name)
		return nil
	}
	a, err := Load(writeFile(t, t.TempDir(), testAccessYAML), o)
	if err != nil {
		t.Fatal(err)
	}
	if u, r, k := a.Counts(); u != 2 || r != 1 || k != 4 {
		t.Errorf("counts = %d users, %d roles, %d keys", u, r, k)
	}
	if strings.Join(checked, ",") != "deployer,readers,team-a-jobs" {
		t.Errorf("CheckPolicy saw %v", checked)
	}
	assertNoSecret(t, "Access.String", a.String())
}

func TestLoadJSON(t *testing.T) {
	const doc = `{"users": [{"name": "alice", "accessKeys": [{"id": "AKIAALICEEXAMPLE0001", "secret": "s3cr3t-json-value"}]}]}`
	if _, err := Load(writeFile(t, t.TempDir(), doc), testOptions(nil)); err != nil {
		t.Fatal(err)
	}
}

func TestLoadInvalid(t *testing.T) {
	const key = "      - {id: AKIAALICEEXAMPLE0001, secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYALICEKEY}\n"
	tests := []struct {
		name, doc, want string
	}{
		{"unknown key", "users:\n  - name: alice\n    acessKeys: []\n", `unknown field "acessKeys"`},
		{"unknown top-level key", "user: []\n", `unknown field "user"`},
		{"duplicate user", "users:\n  - name: alice\n  - name: alice\n", `user "alice": listed twice`},
		{"duplicate role", "roles:\n  - name: ci\n  - name: ci\n", `role "ci": listed twice`},
		{"duplicate group", "groups:\n  - name: g\n  - name: g\n", `group "g": listed twice`},
		{"bad user name", "users:\n  - name: 'al ice'\n", `invalid name "al ice"`},
		{"duplicate key id", "users:\n  - name: alice\n    accessKeys:\n" + key + "  - name: bob\n    accessKeys:\n" + key, "AKIAALICEEXAMPLE0001 is used twice"},
		{"key id shared with a session", "users:\n  - name: alice\n    accessKeys:\n" + key +
			"roles:\n  - name: ci\n    sessions:\n      - {name: s1, accessKeyId: AKIAALICEEXAMPLE0001, secretAccessKey: zzzz-session-secret, sessionToken: tttt-session-token}\n", "is used twice"},
		{"bad key id", "users:\n  - name: alice\n    accessKeys:\n      - {id: akia-lower, secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYALICEKEY}\n", `"akia-lower" is not 16 to 128`},
		{"empty secret", "users:\n  - name: alice\n    accessKeys:\n      - {id: AKIAALICEEXAMPLE0001}\n", "empty secret"},
		{"session without token", "roles:\n  - name: ci\n    sessions:\n      - {name: s1, accessKeyId: ASIACIEXAMPLE00001, secretAccessKey: zzzz-session-secret}\n", "empty sessionToken"},
		{"missing group", "users:\n  - name: alice\n    groups: [nope]\n", `user "alice": no group "nope"`},
		{"missing policy", "groups:\n  - name: g\n    policies: [nope]\n", `group g: no policy "nope"`},
		{"policy not an object", "policies:\n  p: [1, 2]\n", `policy "p": not a JSON object`},
		{"bad expiration", "roles:\n  - name: ci\n    sessions:\n      - {name: s1, accessKeyId: ASIACIEXAMPLE00001, secretAccessKey: zzzz-session-secret, sessionToken: tttt-session-token, expiration: tomorrow}\n", "tomorrow"},
		{"YAML syntax", "users:\n  - name: alice\n    accessKeys:\n      - id: AKIAALICEEXAMPLE0001\n        secret: wJalrXUtnFEMI/K7MDENG/bPxRfiCYALICEKEY: oops\n", "yaml"},
		{"wrong type echoing a secret", "users:\n  - name: alice\n    accessKeys:\n      - id: AKIAALICEEXAMPLE0001\n        secret: [wJalrXUtnFEMI/K7MDENG/bPxRfiCYALICEKEY]\n", "cannot unmarshal"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeFile(t, t.TempDir(), tc.doc), testOptions(nil))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error = %v, want one containing %q", err, tc.want)
			}
			assertNoSecret(t, "error", err.Error())
			for _, s := range []string{"zzzz-session-secret", "tttt-session-token"} {
				if strings.Contains(err.Error(), s) {
					t.Errorf("error leaks %s: %v", s, err)
				}
			}
		})
	}
}

func TestLoadCheckPolicy(t *testing.T) {
	o := testOptions(nil)
	o.CheckPolicy = func(name string, doc []byte) error {
		if name == "readers" {
			return errors.New(`unknown action "emr-containers:Nope"`)
		}
		return nil
	}
	_, err := Load(writeFile(t, t.TempDir(), testAccessYAML), o)
	if err == nil || !strings.Contains(err.Error(), `policy "readers": unknown action`) {
		t.Fatalf("error = %v", err)
	}
	assertNoSecret(t, "error", err.Error())
}

func TestLoadRefusesLoosePermissions(t *testing.T) {
	for _, mode := range []os.FileMode{0o604, 0o620, 0o644, 0o660, 0o650} {
		path := writeFile(t, t.TempDir(), testAccessYAML)
		if err := os.Chmod(path, mode); err != nil {
			t.Fatal(err)
		}
		_, err := Load(path, testOptions(nil))
		if err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
			t.Errorf("mode %04o: error = %v, want a chmod 600 hint", mode, err)
		}
		o := testOptions(nil)
		o.AllowGroupOrWorldAccess = true
		if _, err := Load(path, o); err != nil {
			t.Errorf("mode %04o allowed: %v", mode, err)
		}
	}
}

// TestLoadAcceptsReadingByTheServersGroup: group read is fine when the
// group is the server's own (a Kubernetes secret volume with the pod's
// fsGroup); another group's is refused.
func TestLoadAcceptsReadingByTheServersGroup(t *testing.T) {
	path := writeFile(t, t.TempDir(), testAccessYAML)
	if err := os.Chown(path, -1, os.Getegid()); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, 0o440); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, testOptions(nil)); err != nil {
		t.Fatalf("mode 0440, the server's group: %v", err)
	}
	if os.Geteuid() != 0 {
		return // only root may give the file another group
	}
	if err := os.Chown(path, -1, os.Getegid()+4242); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path, testOptions(nil)); err == nil || !strings.Contains(err.Error(), "chmod 600 "+path) {
		t.Errorf("mode 0440, another group: error = %v, want a chmod 600 hint", err)
	}
}

func TestLoadOptions(t *testing.T) {
	path := writeFile(t, t.TempDir(), testAccessYAML)
	if _, err := Load(path, Options{Partition: "aws", Account: "1234"}); err == nil {
		t.Error("a short account was accepted")
	}
	if _, err := Load(filepath.Join(t.TempDir(), "none.yaml"), testOptions(nil)); err == nil {
		t.Error("a missing file was accepted")
	}
}

func TestSecretValues(t *testing.T) {
	data := []byte("secret: plain-value-1 # comment\nsecretAccessKey: \"quoted-value-2\"\n" +
		"sessionToken: |\n  block-value-3\n{\"secret\": \"json-value-4\", \"id\": \"x\"}\n- {id: A, secret: flow-value-5}\n")
	got := strings.Join(secretValues(data), " ")
	for _, want := range []string{"plain-value-1", "quoted-value-2", "block-value-3", "json-value-4", "flow-value-5"} {
		if !strings.Contains(got, want) {
			t.Errorf("secretValues misses %s: %s", want, got)
		}
	}
	err := redactError(errors.New("line 1: cannot unmarshal `plain-value-1` or flow-value-5"), data)
	if strings.Contains(err.Error(), "value-1") || strings.Contains(err.Error(), "value-5") {
		t.Errorf("not redacted: %v", err)
	}
}
