package store

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// CheckSchema refuses a database that a newer sparkplane has migrated: its
// applied versions include one this binary does not ship. Running older
// code against a newer schema would write rows the newer code keeps
// derived state for (cost rollups) without maintaining it.
func CheckSchema(applied, known []int) error {
	var unknown []string
	for _, v := range applied {
		if !slices.Contains(known, v) {
			unknown = append(unknown, strconv.Itoa(v))
		}
	}
	if len(unknown) == 0 {
		return nil
	}
	return fmt.Errorf("the database holds schema migration(s) %s that this sparkplane does not know: a newer version manages it; upgrade this server",
		strings.Join(unknown, ", "))
}

// MigrationVersions are the versions of migration files named
// NNNN_description.sql (names that do not parse are left out; migrate
// reports them).
func MigrationVersions(names []string) []int {
	var out []int
	for _, name := range names {
		base := name[strings.LastIndexByte(name, '/')+1:]
		if v, err := strconv.Atoi(strings.SplitN(base, "_", 2)[0]); err == nil {
			out = append(out, v)
		}
	}
	return out
}
