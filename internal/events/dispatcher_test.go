package events_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/events"
	"github.com/sparkplane/sparkplane/internal/store"
	"github.com/sparkplane/sparkplane/internal/store/sqlite"
	"github.com/sparkplane/sparkplane/internal/store/storetest"
)

// receiver is a webhook that records what it is sent, answering each
// request with what answer says (200 when nil).
type receiver struct {
	t      *testing.T
	secret []byte
	answer func(n int) (status int, delay time.Duration)

	mu       sync.Mutex
	requests int
	got      []emr.Event // accepted (2xx), in order
}

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	rc.mu.Lock()
	rc.requests++
	n := rc.requests
	rc.mu.Unlock()
	status, delay := http.StatusOK, time.Duration(0)
	if rc.answer != nil {
		status, delay = rc.answer(n)
	}
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
			return
		}
	}
	var ev emr.Event
	if err := json.Unmarshal(body, &ev); err != nil {
		rc.t.Errorf("request %d: body %q: %v", n, body, err)
	}
	if got := r.Header.Get(events.HeaderEventID); got != ev.ID {
		rc.t.Errorf("request %d: %s = %q, want the event's id %q", n, events.HeaderEventID, got, ev.ID)
	}
	if rc.secret != nil {
		if got, want := r.Header.Get(events.HeaderSignature), events.Sign(rc.secret, body); got != want {
			rc.t.Errorf("request %d: signature %q, want %q", n, got, want)
		}
	}
	w.WriteHeader(status)
	if status/100 == 2 {
		rc.mu.Lock()
		rc.got = append(rc.got, ev)
		rc.mu.Unlock()
	}
}

// received returns what the receiver accepted so far.
func (rc *receiver) received() []emr.Event {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.got)
}

// waitFor waits until the receiver accepted n events, or fails the test.
func (rc *receiver) waitFor(n int) {
	rc.t.Helper()
	deadline := time.Now().Add(time.Minute)
	for len(rc.received()) < n {
		if time.Now().After(deadline) {
			rc.t.Fatalf("the webhook accepted %d events, want %d", len(rc.received()), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func openStore(t *testing.T) store.Store {
	t.Helper()
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "sparkplane.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// makeRuns creates n runs in s and takes each to a terminal state (one in
// three completes, one fails, one is cancelled), and returns how many events
// that appended.
func makeRuns(t *testing.T, s store.Store, gen *emr.JobRunIDs, vcID string, n int) int {
	t.Helper()
	before := len(storetest.MustEvents(t, s, 0, nil))
	ends := []emr.JobRunState{emr.JobRunCompleted, emr.JobRunFailed, emr.JobRunCancelled}
	for i := range n {
		run := storetest.MustCreateJobRun(t, s, storetest.NewJobRun(gen, vcID, "run", storetest.Epoch.Add(time.Duration(i)*time.Second)))
		storetest.MustMove(t, s, run, ends[i%len(ends)])
	}
	return len(storetest.MustEvents(t, s, 0, nil)) - before
}

// checkOrder fails unless, once repeats of an event are dropped, each run's
// events in got number its state changes 1, 2, … in order, ending in a
// terminal state; and returns how many distinct events there were.
func checkOrder(t *testing.T, got []emr.Event) int {
	t.Helper()
	next := map[string]int64{} // by run ARN: the sequence number expected next
	seen := map[string]bool{}
	for _, ev := range got {
		if ev.Source != emr.EventSource || ev.DetailType != emr.JobRunStateChangeType || len(ev.Resources) != 1 {
			t.Fatalf("event %+v: not a job run state change", ev)
		}
		arn := ev.Resources[0]
		if seen[ev.ID] {
			if ev.Detail.Sequence >= next[arn] {
				t.Fatalf("run %s: repeat of event %d arrived before event %d", arn, ev.Detail.Sequence, next[arn])
			}
			continue
		}
		seen[ev.ID] = true
		if next[arn] == 0 {
			next[arn] = 1
		}
		if ev.Detail.Sequence != next[arn] {
			t.Fatalf("run %s: got event %d (%s), want event %d", arn, ev.Detail.Sequence, ev.Detail.State, next[arn])
		}
		if ev.Detail.Sequence == 1 && ev.Detail.State != emr.JobRunPending {
			t.Fatalf("run %s starts in %s", arn, ev.Detail.State)
		}
		next[arn]++
	}
	return len(seen)
}

// run starts d and returns a function that stops it and waits.
func run(d *events.Dispatcher) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); d.Run(ctx) }()
	return func() { cancel(); <-done }
}

// A webhook that fails (500s, then a timeout) gets every event, in order,
// once it answers: the cursor moves only past what it accepted.
func TestFailingWebhookGetsEverythingInOrder(t *testing.T) {
	s := openStore(t)
	var gen emr.JobRunIDs
	vc := storetest.MustCreateVirtualCluster(t, s, storetest.NewVirtualCluster("local", "ns", storetest.Epoch))
	want := makeRuns(t, s, &gen, vc.ID, 6)

	rc := &receiver{t: t, secret: []byte("s3cret"), answer: func(n int) (int, time.Duration) {
		switch {
		case n <= 4:
			return http.StatusInternalServerError, 0
		case n == 5:
			return http.StatusOK, 5 * time.Second // past the timeout: not accepted by the sender
		case n%7 == 0:
			return http.StatusServiceUnavailable, 0
		}
		return http.StatusOK, 0
	}}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	d := events.New(s, []events.Webhook{{Name: "audit", URL: hs.URL, Secret: rc.secret, Timeout: 300 * time.Millisecond}},
		events.Options{Poll: 10 * time.Millisecond, Backoff: events.Backoff{Min: time.Millisecond, Max: 20 * time.Millisecond}})
	stop := run(d)
	defer stop()

	rc.waitFor(want)
	more := makeRuns(t, s, &gen, vc.ID, 6) // while it runs
	rc.waitFor(want + more)
	stop()
	if n := checkOrder(t, rc.received()); n != want+more {
		t.Fatalf("%d distinct events, want %d", n, want+more)
	}
	last, err := s.LastJobRunEvent(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if c, err := s.DeliveryCursor(t.Context(), "audit"); err != nil || c != last {
		t.Fatalf("DeliveryCursor() = %d, %v; want %d", c, err, last)
	}
}

// A dispatcher that starts again goes on from its cursor: nothing
// accepted before is sent again, nothing new is missed.
func TestDispatcherResumesFromItsCursor(t *testing.T) {
	s := openStore(t)
	var gen emr.JobRunIDs
	vc := storetest.MustCreateVirtualCluster(t, s, storetest.NewVirtualCluster("local", "ns", storetest.Epoch))
	rc := &receiver{t: t}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	hooks := []events.Webhook{{Name: "audit", URL: hs.URL, Timeout: time.Second}}
	opts := events.Options{Poll: 10 * time.Millisecond}

	first := makeRuns(t, s, &gen, vc.ID, 3)
	stop := run(events.New(s, hooks, opts))
	rc.waitFor(first)
	stop()
	second := makeRuns(t, s, &gen, vc.ID, 3)
	stop = run(events.New(s, hooks, opts))
	rc.waitFor(first + second)
	stop()
	got := rc.received()
	if len(got) != first+second {
		t.Fatalf("%d deliveries, want %d (none twice)", len(got), first+second)
	}
	checkOrder(t, got)
}

// Dispatchers of two servers sharing a store take turns on the webhook's
// lease: each event is delivered by one of them, once.
func TestOneServerDeliversAWebhook(t *testing.T) {
	s := openStore(t)
	var gen emr.JobRunIDs
	vc := storetest.MustCreateVirtualCluster(t, s, storetest.NewVirtualCluster("local", "ns", storetest.Epoch))
	rc := &receiver{t: t}
	hs := httptest.NewServer(rc)
	defer hs.Close()
	hooks := []events.Webhook{{Name: "audit", URL: hs.URL, Timeout: time.Second}}
	var stops []func()
	for _, owner := range []string{"server-a", "server-b"} {
		stops = append(stops, run(events.New(s, hooks, events.Options{Leases: s, Owner: owner, Poll: 5 * time.Millisecond})))
	}
	want := makeRuns(t, s, &gen, vc.ID, 9)
	rc.waitFor(want)
	want += makeRuns(t, s, &gen, vc.ID, 9)
	rc.waitFor(want)
	for _, stop := range stops {
		stop()
	}
	got := rc.received()
	if len(got) != want {
		t.Fatalf("%d deliveries, want %d: both servers delivered", len(got), want)
	}
	checkOrder(t, got)
}
