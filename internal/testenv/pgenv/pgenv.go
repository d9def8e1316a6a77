// Package pgenv gives tests a real PostgreSQL server. When
// SPARKPLANE_TEST_POSTGRES is set, it is the URL of that server (its user
// must be allowed to create databases). Otherwise a throwaway server is
// started from Debian's postgresql package (initdb and postgres found
// under /usr/lib/postgresql/<version>/bin, the newest first, else on PATH)
// in a temporary folder, on a free loopback port, as the postgres user
// (or nobody) when the tests run as root, since initdb refuses root; it is
// stopped and removed when the test that started it ends. It trades
// durability for speed (fsync off): nothing in it outlives the test.
//
// Each test gets a database of its own from NewDatabase. A test that
// cannot have a server fails with the reason; it never skips.
//
// The package uses the standard library and pgx only.
package pgenv

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// EnvURL names the variable that points the tests at an existing server.
const EnvURL = "SPARKPLANE_TEST_POSTGRES"

// Server is a PostgreSQL server for tests.
type Server struct {
	// URL reaches the server's maintenance database (postgres) as a user
	// that may create databases.
	URL string
	// Dir is the folder of a server that pgenv started (data, socket and
	// postgres.log); "" for the server of SPARKPLANE_TEST_POSTGRES.
	Dir string
}

// Start returns the server of SPARKPLANE_TEST_POSTGRES, checking that it
// answers, or starts one that stops when tb ends. It fails tb if neither
// works.
func Start(tb testing.TB) *Server {
	tb.Helper()
	if u := os.Getenv(EnvURL); u != "" {
		s := &Server{URL: u}
		if err := ping(tb.Context(), u); err != nil {
			tb.Fatalf("pgenv: the PostgreSQL server of %s does not answer: %v", EnvURL, err)
		}
		return s
	}
	s, stop, err := start(tb.Logf)
	if err != nil {
		tb.Fatalf("pgenv: cannot start a PostgreSQL server (install Debian's postgresql package, as scripts/setup.sh --test does, or set %s to a server's URL): %v", EnvURL, err)
	}
	tb.Cleanup(func() {
		if err := stop(); err != nil {
			tb.Errorf("pgenv: stop the PostgreSQL server: %v", err)
		}
	})
	return s
}

// NewDatabase creates an empty database and returns its URL. On the
// server of SPARKPLANE_TEST_POSTGRES it is dropped when tb ends; a server
// that pgenv started goes away whole.
func (s *Server) NewDatabase(tb testing.TB) string {
	tb.Helper()
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		tb.Fatal(err)
	}
	name := "sparkplane_test_" + hex.EncodeToString(b)
	if err := s.exec(tb.Context(), `CREATE DATABASE `+name); err != nil {
		tb.Fatalf("pgenv: create database: %v", err)
	}
	if s.Dir == "" {
		tb.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			if err := s.exec(ctx, `DROP DATABASE IF EXISTS `+name+` WITH (FORCE)`); err != nil {
				tb.Errorf("pgenv: drop database %s: %v", name, err)
			}
		})
	}
	u, err := url.Parse(s.URL)
	if err != nil {
		tb.Fatalf("pgenv: server URL: %v", err)
	}
	u.Path = "/" + name
	return u.String()
}

func (s *Server) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, s.URL)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, sql)
	return err
}

// ping connects to u once.
func ping(ctx context.Context, u string) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, u)
	if err != nil {
		return err
	}
	if err := conn.Ping(ctx); err != nil {
		conn.Close(ctx)
		return fmt.Errorf("ping: %w", err)
	}
	return conn.Close(ctx)
}
