package storetest

import (
	"strings"
	"testing"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var clientTokenTests = []subtest{
	{"AnyString", testAnyClientToken},
}

// A clientToken is any string a client sends (the API checks only that it
// is not blank): each is a request of its own, replayed exactly, whatever
// bytes it holds.
func testAnyClientToken(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	tokens := []string{"a", "a\x00b", "a\x00", "\x00", "A", "a ", "ü", "日本", "'; DROP TABLE job_runs; --", strings.Repeat("z", 64), "\t\n\\%_*?"}
	first := map[string]string{}
	for round := range 2 {
		for _, tok := range tokens {
			idem := store.Idempotency{Scope: "StartJobRun/" + vc.ID, Token: tok, Hash: "h"}
			run, err := s.CreateJobRun(t.Context(), NewJobRun(&gen, vc.ID, "pi", Epoch), idem)
			if err != nil {
				t.Fatalf("round %d: token %q: %v", round, tok, err)
			}
			if round == 0 {
				first[tok] = run.ID
			} else if run.ID != first[tok] {
				t.Fatalf("token %q replayed run %s, want %s", tok, run.ID, first[tok])
			}
		}
	}
	seen := map[string]string{}
	for tok, id := range first {
		if other, ok := seen[id]; ok {
			t.Fatalf("tokens %q and %q made the same run %s", tok, other, id)
		}
		seen[id] = tok
	}
}
