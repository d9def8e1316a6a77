package config

import (
	"strings"
	"testing"
)

func TestStoreKind(t *testing.T) {
	for _, tc := range []struct{ store, kind string }{
		{"", StoreSQLite},
		{"postgres://sp:secret@db.example:5432/sparkplane?sslmode=require", StorePostgres},
		{"postgresql://localhost/sparkplane", StorePostgres},
		{"postgres:///sparkplane?host=/run/postgresql", StorePostgres},
	} {
		c := Default()
		c.Store = tc.store
		if got, err := c.StoreKind(); err != nil || got != tc.kind {
			t.Errorf("StoreKind(%q) = %q, %v; want %q", tc.store, got, err, tc.kind)
		}
		if err := c.Validate(); err != nil {
			t.Errorf("Validate(store %q) = %v", tc.store, err)
		}
	}
	for _, bad := range []string{"sqlite", "mysql://u:pw@h/db", "/var/lib/sparkplane/x.db", "host=localhost dbname=x", "postgres//x"} {
		c := Default()
		c.Store = bad
		err := c.Validate()
		if err == nil {
			t.Errorf("Validate(store %q) succeeded, want an error", bad)
			continue
		}
		if strings.Contains(err.Error(), "pw") {
			t.Errorf("Validate(store %q) = %v: shows the password", bad, err)
		}
	}
}

func TestStoreRedacted(t *testing.T) {
	for in, want := range map[string]string{
		"postgres://sp:secret@db:5432/x": "postgres://sp:xxxxx@db:5432/x",
		"postgres://sp@db/x":             "postgres://sp@db/x",
		"postgres://db/x":                "postgres://db/x",
		"":                               "",
	} {
		if got := StoreRedacted(in); got != want {
			t.Errorf("StoreRedacted(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGoGC(t *testing.T) {
	c := Default()
	for _, good := range []int{10, 50, 1000} {
		c.GoGC = &good
		if err := c.Validate(); err != nil {
			t.Errorf("goGC %d: %v", good, err)
		}
	}
	for _, bad := range []int{0, 5, -1, 5000} {
		c.GoGC = &bad
		if err := c.Validate(); err == nil || !strings.Contains(err.Error(), "goGC") {
			t.Errorf("goGC %d: %v; want an error naming goGC", bad, err)
		}
	}
}
