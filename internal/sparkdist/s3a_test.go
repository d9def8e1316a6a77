package sparkdist

import (
	"bytes"
	"crypto/sha1"
	"encoding/hex"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// fakeMaven is a Maven repository over HTTP holding the hadoop-project poms
// and the jars AddS3A downloads, with their .sha1 files.
type fakeMaven struct {
	*httptest.Server
	mu    sync.Mutex
	files map[string][]byte // by path under the repository
	gets  []string
}

func newFakeMaven(t *testing.T) *fakeMaven {
	t.Helper()
	m := &fakeMaven{files: map[string][]byte{}}
	m.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		m.mu.Lock()
		defer m.mu.Unlock()
		m.gets = append(m.gets, r.URL.Path)
		b, ok := m.files[strings.TrimPrefix(r.URL.Path, "/maven2/")]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write(b)
	}))
	t.Cleanup(m.Close)
	return m
}

func (m *fakeMaven) repo() string { return m.URL + "/maven2" }

// add publishes content as the file of a with extension ext, and its SHA-1.
func (m *fakeMaven) add(a artifact, ext string, content []byte) {
	sum := sha1.Sum(content)
	path := strings.TrimPrefix(a.url("", ext), "/")
	m.mu.Lock()
	defer m.mu.Unlock()
	m.files[path] = content
	m.files[path+".sha1"] = []byte(hex.EncodeToString(sum[:]) + "  " + a.file(ext) + "\n")
}

func (m *fakeMaven) requests() []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]string(nil), m.gets...)
}

// projectPom is a hadoop-project pom with the SDK version properties of
// Hadoop 3.4 (both; 3.3 has only the first).
func projectPom(v1, v2 string) []byte {
	props := "<aws-java-sdk.version>" + v1 + "</aws-java-sdk.version>"
	if v2 != "" {
		props += "<aws-java-sdk-v2.version>" + v2 + "</aws-java-sdk-v2.version>"
	}
	return []byte(`<?xml version="1.0" encoding="UTF-8"?>
<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<properties><hadoop.version>x</hadoop.version>` + props + `</properties></project>`)
}

// sparkWithHadoop makes a Spark folder whose jars/ holds the Hadoop client
// jars of version hadoop.
func sparkWithHadoop(t *testing.T, hadoop string) string {
	t.Helper()
	home := t.TempDir()
	jars := filepath.Join(home, "jars")
	if err := os.MkdirAll(jars, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"hadoop-client-api-" + hadoop + ".jar", "hadoop-client-runtime-" + hadoop + ".jar", "spark-core_2.12-3.5.9.jar"} {
		if err := os.WriteFile(filepath.Join(jars, name), []byte("jar"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return home
}

func quiet() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// AddS3A installs hadoop-aws of the Spark's Hadoop and the SDK bundle that
// Hadoop's build names: SDK v1 up to Hadoop 3.3, SDK v2 from 3.4; the jars
// are world-readable and nothing else is left in jars/.
func TestAddS3AInstallsTheJarsMatchingSparksHadoop(t *testing.T) {
	for _, tc := range []struct {
		hadoop string
		pom    []byte
		sdk    artifact
	}{
		{"3.3.4", projectPom("1.12.262", ""), artifact{"com.amazonaws", "aws-java-sdk-bundle", "1.12.262"}},
		{"3.4.1", projectPom("1.12.720", "2.24.6"), artifact{"software.amazon.awssdk", "bundle", "2.24.6"}},
	} {
		t.Run(tc.hadoop, func(t *testing.T) {
			m := newFakeMaven(t)
			aws := artifact{"org.apache.hadoop", "hadoop-aws", tc.hadoop}
			m.add(artifact{"org.apache.hadoop", "hadoop-project", tc.hadoop}, "pom", tc.pom)
			m.add(aws, "jar", []byte("hadoop-aws "+tc.hadoop))
			m.add(tc.sdk, "jar", bytes.Repeat([]byte("sdk"), 100_000))
			home := sparkWithHadoop(t, tc.hadoop)

			if err := addS3A(t.Context(), http.DefaultClient, m.repo(), home, quiet()); err != nil {
				t.Fatalf("addS3A: %v", err)
			}
			jars := filepath.Join(home, "jars")
			for _, a := range []artifact{aws, tc.sdk} {
				st, err := os.Stat(filepath.Join(jars, a.file("jar")))
				if err != nil {
					t.Fatalf("%s not installed: %v", a, err)
				}
				if st.Mode().Perm() != 0o644 {
					t.Errorf("%s: mode %v, want 0644 (jobs run as other users)", a, st.Mode().Perm())
				}
			}
			entries, _ := os.ReadDir(jars)
			if len(entries) != 5 {
				t.Errorf("jars/ holds %d files, want the 3 of Spark and the 2 installed: %v", len(entries), entries)
			}

			// Installed: nothing more to do, and no network needed.
			before := len(m.requests())
			m.Close()
			if err := addS3A(t.Context(), http.DefaultClient, m.repo(), home, quiet()); err != nil {
				t.Fatalf("second addS3A: %v", err)
			}
			if after := len(m.requests()); after != before {
				t.Errorf("second addS3A made %d requests, want none", after-before)
			}
		})
	}
}

// A download whose SHA-1 is not the one published installs nothing and
// leaves no partial file behind.
func TestAddS3ARefusesAJarWithTheWrongChecksum(t *testing.T) {
	m := newFakeMaven(t)
	sdk := artifact{"com.amazonaws", "aws-java-sdk-bundle", "1.12.262"}
	m.add(artifact{"org.apache.hadoop", "hadoop-project", "3.3.4"}, "pom", projectPom("1.12.262", ""))
	m.add(artifact{"org.apache.hadoop", "hadoop-aws", "3.3.4"}, "jar", []byte("hadoop-aws"))
	m.add(sdk, "jar", []byte("the real bundle"))
	m.files[strings.TrimPrefix(sdk.url("", "jar"), "/")] = []byte("tampered with")
	home := sparkWithHadoop(t, "3.3.4")

	err := addS3A(t.Context(), http.DefaultClient, m.repo(), home, quiet())
	if err == nil || !strings.Contains(err.Error(), "SHA-1") {
		t.Fatalf("addS3A = %v, want a SHA-1 mismatch", err)
	}
	entries, _ := os.ReadDir(filepath.Join(home, "jars"))
	if len(entries) != 3 {
		t.Errorf("jars/ holds %v, want Spark's 3 jars only", entries)
	}
}

// A hadoop-aws of another Hadoop version in jars/ would clash with the
// right one: AddS3A says so instead of adding a second.
func TestAddS3ARefusesAMismatchedHadoopAWS(t *testing.T) {
	home := sparkWithHadoop(t, "3.3.4")
	if err := os.WriteFile(filepath.Join(home, "jars", "hadoop-aws-3.2.0.jar"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	err := addS3A(t.Context(), http.DefaultClient, "http://127.0.0.1:1/unused", home, quiet())
	if err == nil || !strings.Contains(err.Error(), "hadoop-aws-3.2.0.jar") {
		t.Fatalf("addS3A = %v, want it to name the mismatched jar", err)
	}
}

func TestHadoopVersion(t *testing.T) {
	if v, err := HadoopVersion(sparkWithHadoop(t, "3.3.4")); v != "3.3.4" || err != nil {
		t.Errorf("HadoopVersion = %q, %v; want 3.3.4", v, err)
	}
	if _, err := HadoopVersion(t.TempDir()); err == nil {
		t.Error("HadoopVersion of a folder without jars/: no error")
	}
}
