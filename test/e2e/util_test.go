package e2e

import (
	"errors"
	"os"
	"testing"
)

// asErr reports whether err is, or wraps, a T.
func asErr[T error](err error, target *T) bool { return err != nil && errors.As(err, target) }

func readFile(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
