package storetest

import (
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

var leaseTests = []subtest{
	{"OneOwnerOfManyRacing", testLeaseRace},
	{"HeldUntilItExpires", testLeaseHeld},
	{"HandedOverOnExpiry", testLeaseExpiry},
	{"Renew", testLeaseRenew},
	{"Release", testLeaseRelease},
}

const hour = time.Hour

// MustAcquire asks for a lease and fails the test unless the answer is want.
func MustAcquire(tb testing.TB, s store.Store, name, owner string, ttl time.Duration, want bool) {
	tb.Helper()
	got, err := s.AcquireLease(tb.Context(), name, owner, ttl)
	if err != nil {
		tb.Fatalf("AcquireLease(%s, %s) error = %v", name, owner, err)
	}
	if got != want {
		tb.Fatalf("AcquireLease(%s, %s) = %v, want %v", name, owner, got, want)
	}
}

// Owners asking for one free lease at once: exactly one gets it, and keeps it.
func testLeaseRace(t *testing.T, s store.Store) {
	const names, callers = 8, 8 // callers per name, half of each owner
	owners := []string{"server-a", "server-b"}
	type answer struct {
		name, owner string
		ok          bool
		err         error
	}
	answers := make(chan answer, names*callers)
	var wg sync.WaitGroup
	for n := range names {
		for c := range callers {
			wg.Go(func() {
				name, owner := fmt.Sprint("race-", n), owners[c%2]
				ok, err := s.AcquireLease(t.Context(), name, owner, hour)
				answers <- answer{name, owner, ok, err}
			})
		}
	}
	wg.Wait()
	close(answers)
	winners := map[string][]string{}
	for a := range answers {
		if a.err != nil {
			t.Fatalf("AcquireLease(%s, %s) error = %v", a.name, a.owner, a.err)
		}
		if a.ok && !slices.Contains(winners[a.name], a.owner) {
			winners[a.name] = append(winners[a.name], a.owner)
		}
	}
	for n := range names {
		name := fmt.Sprint("race-", n)
		w := winners[name]
		if len(w) != 1 {
			t.Fatalf("lease %s went to %v, want exactly one owner", name, w)
		}
		loser := owners[0]
		if w[0] == loser {
			loser = owners[1]
		}
		MustAcquire(t, s, name, w[0], hour, true)
		MustAcquire(t, s, name, loser, hour, false)
	}
}

// A held lease is its owner's until it expires, however often others ask.
func testLeaseHeld(t *testing.T, s store.Store) {
	MustAcquire(t, s, "jobrun/vc/1", "server-a", hour, true)
	for range 3 {
		MustAcquire(t, s, "jobrun/vc/1", "server-b", hour, false)
		MustAcquire(t, s, "jobrun/vc/1", "server-a", hour, true) // renews
	}
	MustAcquire(t, s, "jobrun/vc/2", "server-b", hour, true) // another name is another lease
}

// An owner that stops renewing loses the lease to the next that asks, and
// cannot renew it any more.
func testLeaseExpiry(t *testing.T, s store.Store) {
	MustAcquire(t, s, "jobrun/vc/1", "server-a", hour, true)
	MustAcquire(t, s, "jobrun/vc/1", "server-b", hour, false)
	MustAcquire(t, s, "jobrun/vc/1", "server-a", 100*time.Millisecond, true) // a's last renewal
	time.Sleep(400 * time.Millisecond)
	MustAcquire(t, s, "jobrun/vc/1", "server-b", hour, true)
	MustAcquire(t, s, "jobrun/vc/1", "server-a", hour, false)
	if names, err := s.RenewLeases(t.Context(), "server-a", hour); err != nil || len(names) != 0 {
		t.Fatalf("RenewLeases(server-a) = %v, %v; want none", names, err)
	}
	if names, err := s.RenewLeases(t.Context(), "server-b", hour); err != nil || !slices.Equal(names, []string{"jobrun/vc/1"}) {
		t.Fatalf("RenewLeases(server-b) = %v, %v; want [jobrun/vc/1]", names, err)
	}
}

// RenewLeases extends the owner's live leases, and only those.
func testLeaseRenew(t *testing.T, s store.Store) {
	MustAcquire(t, s, "n1", "server-a", hour, true)
	MustAcquire(t, s, "n2", "server-a", hour, true)
	MustAcquire(t, s, "n3", "server-a", 100*time.Millisecond, true)
	MustAcquire(t, s, "n4", "server-a", 3*time.Second, true)
	MustAcquire(t, s, "other", "server-b", hour, true)
	time.Sleep(400 * time.Millisecond) // n3 expires
	names, err := s.RenewLeases(t.Context(), "server-a", hour)
	must(t, err)
	slices.Sort(names)
	if !slices.Equal(names, []string{"n1", "n2", "n4"}) {
		t.Fatalf("RenewLeases(server-a) = %v, want [n1 n2 n4]", names)
	}
	MustAcquire(t, s, "n3", "server-b", hour, true) // it had expired
	time.Sleep(3200 * time.Millisecond)             // n4 would have expired without the renewal
	MustAcquire(t, s, "n4", "server-b", hour, false)
	MustAcquire(t, s, "other", "server-a", hour, false)
}

// A released lease is free at once; releasing another's lease does nothing.
func testLeaseRelease(t *testing.T, s store.Store) {
	ctx := t.Context()
	MustAcquire(t, s, "n1", "server-a", hour, true)
	MustAcquire(t, s, "n2", "server-a", hour, true)
	must(t, s.ReleaseLeases(ctx, "server-b", "n1", "n2"))
	MustAcquire(t, s, "n1", "server-b", hour, false)
	must(t, s.ReleaseLeases(ctx, "server-a", "n1", "never-held"))
	if err := s.ReleaseLeases(ctx, "server-a"); err != nil {
		t.Fatalf("ReleaseLeases(no names) error = %v", err)
	}
	MustAcquire(t, s, "n1", "server-b", hour, true)
	MustAcquire(t, s, "n2", "server-b", hour, false)
	if names, err := s.RenewLeases(ctx, "server-a", hour); err != nil || !slices.Equal(names, []string{"n2"}) {
		t.Fatalf("RenewLeases(server-a) = %v, %v; want [n2]", names, err)
	}
}
