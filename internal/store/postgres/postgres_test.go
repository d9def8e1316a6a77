package postgres_test

import (
	"testing"

	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/postgres"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// MustOpen opens the store at url; the caller closes it.
func MustOpen(tb testing.TB, url string) *postgres.DB {
	tb.Helper()
	db, err := postgres.Open(tb.Context(), url)
	if err != nil {
		tb.Fatalf("Open() error = %v", err)
	}
	return db
}

// MustClose closes db and fails the test on error.
func MustClose(tb testing.TB, db *postgres.DB) {
	tb.Helper()
	if err := db.Close(); err != nil {
		tb.Fatalf("Close() error = %v", err)
	}
}

// The conformance suite, each subtest on a database of its own.
func TestConformance(t *testing.T) {
	srv := pgenv.Start(t)
	storetest.Run(t, func(t *testing.T) store.Store {
		return MustOpen(t, srv.NewDatabase(t))
	})
}

func BenchmarkQueuedVirtualClusters(b *testing.B) {
	db := MustOpen(b, pgenv.Start(b).NewDatabase(b))
	defer MustClose(b, db)
	storetest.BenchQueuedVirtualClusters(b, db, 100_000)
}
