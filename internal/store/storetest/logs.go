package storetest

import (
	"testing"

	"github.com/sparkplane/sparkplane/internal/store"
)

var logTests = []subtest{
	{"PutAndRead", testJobRunLogs},
}

// Logs are kept per run, attempt and stream, replaced when put again.
func testJobRunLogs(t *testing.T, s store.Store) {
	ctx := t.Context()
	data := []byte("line 1\n\x00binary\xff\n")
	for _, put := range []struct {
		attempt int
		stream  string
		data    []byte
	}{{1, "stdout", []byte("old")}, {1, "stdout", data}, {1, "stderr", []byte("err")}, {2, "stdout", nil}} {
		must(t, s.PutJobRunLog(ctx, "vc", "run", put.attempt, put.stream, put.data))
	}
	for _, want := range []struct {
		attempt int
		stream  string
		data    string
	}{{1, "stdout", string(data)}, {1, "stderr", "err"}, {2, "stdout", ""}} {
		got, err := s.JobRunLog(ctx, "vc", "run", want.attempt, want.stream)
		if err != nil || string(got) != want.data {
			t.Fatalf("JobRunLog(%d, %s) = %q, %v; want %q", want.attempt, want.stream, got, err, want.data)
		}
	}
	_, err := s.JobRunLog(ctx, "vc", "run", 3, "stdout")
	MustBe(t, err, store.ErrNotFound)
	_, err = s.JobRunLog(ctx, "other-vc", "run", 1, "stdout")
	MustBe(t, err, store.ErrNotFound)
}
