package storetest

import (
	"context"
	"testing"

	"github.com/sparkplane/sparkplane/internal/store"
)

var pingTests = []subtest{
	{"AnswersWhenOpen", testPingOpen},
	{"FailsWhenCancelled", testPingCancelled},
}

// An open store answers Ping.
func testPingOpen(t *testing.T, s store.Store) {
	if err := s.Ping(t.Context()); err != nil {
		t.Fatalf("Ping() = %v, want nil", err)
	}
}

// Ping does not answer for a caller that stopped waiting: the probe's
// deadline is honoured.
func testPingCancelled(t *testing.T, s store.Store) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if err := s.Ping(ctx); err == nil {
		t.Fatal("Ping(cancelled context) = nil, want an error")
	}
}
