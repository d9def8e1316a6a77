package pgenv_test

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/testenv/pgenv"
)

// Two databases of one server are apart, and writable.
func TestNewDatabase(t *testing.T) {
	srv := pgenv.Start(t)
	ctx := t.Context()
	var names []string
	for range 2 {
		u := srv.NewDatabase(t)
		conn, err := pgx.Connect(ctx, u)
		if err != nil {
			t.Fatalf("connect to %s: %v", u, err)
		}
		defer conn.Close(context.Background())
		if _, err := conn.Exec(ctx, `CREATE TABLE t (x int); INSERT INTO t VALUES (1)`); err != nil {
			t.Fatalf("write to %s: %v", u, err)
		}
		var name string
		if err := conn.QueryRow(ctx, `SELECT current_database()`).Scan(&name); err != nil {
			t.Fatal(err)
		}
		names = append(names, name)
	}
	if names[0] == names[1] {
		t.Fatalf("both databases are %s", names[0])
	}
}
