// Package testenv holds what the integration tests share; its
// subpackages start throwaway PostgreSQL servers (pgenv) and Kubernetes
// control planes (kubeenv).
package testenv

import (
	"os"
	"testing"
)

// SharedDir is a temporary folder every user may read and write (as
// /tmp), removed when the test ends: t.TempDir() is 0700, out of reach of
// the users local jobs run as when the server is root.
func SharedDir(t testing.TB) string {
	t.Helper()
	d, err := os.MkdirTemp("", "sparkplane-test-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(d) })
	if err := os.Chmod(d, 0o1777); err != nil {
		t.Fatal(err)
	}
	return d
}
