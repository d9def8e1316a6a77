package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var virtualClusterTests = []subtest{
	{"CreateAndGet", testCreateAndGetVirtualCluster},
	{"GetMissing", testGetMissingVirtualCluster},
	{"OneActivePerNamespace", testOneActivePerNamespace},
	{"SetState", testSetVirtualClusterState},
	{"SetScheduler", testSetVirtualClusterScheduler},
	{"Idempotency", testVirtualClusterIdempotency},
	{"ListFilters", testListVirtualClusterFilters},
}

func testCreateAndGetVirtualCluster(t *testing.T, s store.Store) {
	vc := NewVirtualCluster("prod", "spark", Epoch)
	vc.SecurityConfigurationID = mustCreate(t, s.CreateSecurityConfiguration, NewSecurityConfiguration("sc", Epoch)).ID
	vc.ContainerProvider.Info.EKSInfo.NodeLabel = "spark-nodes"
	MustCreateVirtualCluster(t, s, vc)

	got, err := s.GetVirtualCluster(t.Context(), vc.ID)
	if err != nil {
		t.Fatalf("GetVirtualCluster() error = %v", err)
	}
	MustEqual(t, got, vc)
	if !got.CreatedAt.Equal(Epoch) {
		t.Errorf("CreatedAt = %v, want %v", got.CreatedAt, Epoch)
	}
}

func testGetMissingVirtualCluster(t *testing.T, s store.Store) {
	MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	for _, id := range []string{emr.NewResourceID(), "", "x' OR '1'='1"} {
		vc, err := s.GetVirtualCluster(t.Context(), id)
		MustBe(t, err, store.ErrNotFound)
		if vc != nil {
			t.Errorf("GetVirtualCluster(%q) = %+v, want nil", id, vc)
		}
	}
	MustBe(t, s.SetVirtualClusterState(t.Context(), emr.NewResourceID(), emr.VirtualClusterTerminated), store.ErrNotFound)
}

func testOneActivePerNamespace(t *testing.T, s store.Store) {
	ctx := t.Context()
	first := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))

	// Other namespaces of the cluster, and the namespace on other clusters, are free.
	MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark-2", Epoch))
	MustCreateVirtualCluster(t, s, NewVirtualCluster("staging", "spark", Epoch))

	// Every state but TERMINATED holds the namespace.
	for _, state := range []emr.VirtualClusterState{emr.VirtualClusterRunning, emr.VirtualClusterTerminating, emr.VirtualClusterArrested} {
		must(t, s.SetVirtualClusterState(ctx, first.ID, state))
		_, err := s.CreateVirtualCluster(ctx, NewVirtualCluster("prod", "spark", Epoch), NoIdempotency)
		MustBe(t, err, store.ErrConflict)
	}

	must(t, s.SetVirtualClusterState(ctx, first.ID, emr.VirtualClusterTerminated))
	second := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch.Add(time.Second)))
	_, err := s.CreateVirtualCluster(ctx, NewVirtualCluster("prod", "spark", Epoch), NoIdempotency)
	MustBe(t, err, store.ErrConflict)

	// The terminated one cannot take the namespace back while another holds it.
	MustBe(t, s.SetVirtualClusterState(ctx, first.ID, emr.VirtualClusterRunning), store.ErrConflict)
	got, err := s.GetVirtualCluster(ctx, first.ID)
	if err != nil || got.State != emr.VirtualClusterTerminated {
		t.Fatalf("after the refused change GetVirtualCluster() = %+v, %v; want it TERMINATED", got, err)
	}

	// A second TERMINATED one on the namespace is fine.
	must(t, s.SetVirtualClusterState(ctx, second.ID, emr.VirtualClusterTerminated))

	// Reusing an id is a conflict too.
	dup := NewVirtualCluster("prod", "other", Epoch)
	dup.ID = first.ID
	_, err = s.CreateVirtualCluster(ctx, dup, NoIdempotency)
	MustBe(t, err, store.ErrConflict)
}

func testSetVirtualClusterState(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	for _, state := range []emr.VirtualClusterState{emr.VirtualClusterTerminating, emr.VirtualClusterArrested, emr.VirtualClusterTerminated} {
		if err := s.SetVirtualClusterState(ctx, vc.ID, state); err != nil {
			t.Fatalf("SetVirtualClusterState(%s) error = %v", state, err)
		}
		got, err := s.GetVirtualCluster(ctx, vc.ID)
		must(t, err)
		want := *vc
		want.State = state
		MustEqual(t, got, &want) // only the state changes
		listed, _, err := s.ListVirtualClusters(ctx, store.VirtualClusterFilter{States: []emr.VirtualClusterState{state}}, store.Page{Limit: 10})
		if err != nil || len(listed) != 1 || listed[0].State != state {
			t.Fatalf("ListVirtualClusters(states=%s) = %v, %v; want the one cluster", state, ids(listed), err)
		}
	}
}

func testVirtualClusterIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	idem := store.Idempotency{Scope: "CreateVirtualCluster", Token: "token-1", Hash: "hash-1"}
	orig := NewVirtualCluster("prod", "spark", Epoch)
	got, err := s.CreateVirtualCluster(ctx, orig, idem)
	must(t, err)
	MustEqual(t, got, orig)

	// The same request again (a retry: the API made a new id) gets the original.
	again, err := s.CreateVirtualCluster(ctx, NewVirtualCluster("prod", "spark", Epoch.Add(time.Second)), idem)
	if err != nil {
		t.Fatalf("replay error = %v", err)
	}
	MustEqual(t, again, orig)

	// The same token with a different request is refused, even on a free namespace.
	other := idem
	other.Hash = "hash-2"
	_, err = s.CreateVirtualCluster(ctx, NewVirtualCluster("prod", "free", Epoch), other)
	MustBe(t, err, store.ErrTokenMismatch)

	// The same token in another scope is another request.
	scoped := idem
	scoped.Scope = "CreateSomethingElse"
	MustCreateVirtualClusterWith(t, s, NewVirtualCluster("prod", "scoped", Epoch), scoped)

	// Without a token nothing is replayed.
	MustCreateVirtualClusterWith(t, s, NewVirtualCluster("prod", "a", Epoch), NoIdempotency)
	MustCreateVirtualClusterWith(t, s, NewVirtualCluster("prod", "b", Epoch), NoIdempotency)

	// Replay still answers once the cluster is gone, rather than conflict.
	must(t, s.SetVirtualClusterState(ctx, orig.ID, emr.VirtualClusterTerminated))
	again, err = s.CreateVirtualCluster(ctx, NewVirtualCluster("prod", "spark", Epoch), idem)
	if err != nil || again.ID != orig.ID || again.State != emr.VirtualClusterTerminated {
		t.Fatalf("replay after termination = %+v, %v; want the original, TERMINATED", again, err)
	}

	all, _, err := s.ListVirtualClusters(ctx, store.VirtualClusterFilter{}, store.Page{Limit: 100})
	if err != nil || len(all) != 4 {
		t.Fatalf("ListVirtualClusters() = %v, %v; want 4 clusters", ids(all), err)
	}
}

// MustCreateVirtualClusterWith stores vc with idem and fails the test unless
// it creates vc itself.
func MustCreateVirtualClusterWith(tb testing.TB, s store.Store, vc *emr.VirtualCluster, idem store.Idempotency) {
	tb.Helper()
	got, err := s.CreateVirtualCluster(tb.Context(), vc, idem)
	if err != nil {
		tb.Fatalf("CreateVirtualCluster(%s) error = %v", vc.ID, err)
	}
	if got.ID != vc.ID {
		tb.Fatalf("CreateVirtualCluster(%s) replayed %s", vc.ID, got.ID)
	}
}

func testListVirtualClusterFilters(t *testing.T, s store.Store) {
	ctx := t.Context()
	a := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "a", secs(0)))
	b := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "b", secs(10)))
	c := MustCreateVirtualCluster(t, s, NewVirtualCluster("staging", "c", secs(20)))
	d := MustCreateVirtualCluster(t, s, NewVirtualCluster("staging", "d", secs(30)))
	for id, state := range map[string]emr.VirtualClusterState{b.ID: emr.VirtualClusterTerminated, c.ID: emr.VirtualClusterArrested} {
		must(t, s.SetVirtualClusterState(ctx, id, state))
	}
	states := func(ss ...emr.VirtualClusterState) []emr.VirtualClusterState { return ss }
	tests := []struct {
		name string
		f    store.VirtualClusterFilter
		want []*emr.VirtualCluster // newest first
	}{
		{"all", store.VirtualClusterFilter{}, []*emr.VirtualCluster{d, c, b, a}},
		{"one state", store.VirtualClusterFilter{States: states(emr.VirtualClusterRunning)}, []*emr.VirtualCluster{d, a}},
		{"states are or-ed", store.VirtualClusterFilter{States: states(emr.VirtualClusterTerminated, emr.VirtualClusterArrested)}, []*emr.VirtualCluster{c, b}},
		{"state none has", store.VirtualClusterFilter{States: states(emr.VirtualClusterTerminating)}, nil},
		{"provider", store.VirtualClusterFilter{ProviderID: "staging"}, []*emr.VirtualCluster{d, c}},
		{"unknown provider", store.VirtualClusterFilter{ProviderID: "nope"}, nil},
		{"created after, inclusive", store.VirtualClusterFilter{CreatedAfter: secs(10)}, []*emr.VirtualCluster{d, c, b}},
		{"created before, inclusive", store.VirtualClusterFilter{CreatedBefore: secs(20)}, []*emr.VirtualCluster{c, b, a}},
		{"created between", store.VirtualClusterFilter{CreatedAfter: secs(5), CreatedBefore: secs(25)}, []*emr.VirtualCluster{c, b}},
		{"empty range", store.VirtualClusterFilter{CreatedAfter: secs(25), CreatedBefore: secs(5)}, nil},
		{"everything at once", store.VirtualClusterFilter{States: states(emr.VirtualClusterRunning), ProviderID: "prod", CreatedBefore: secs(5)}, []*emr.VirtualCluster{a}},
	}
	for _, tc := range tests {
		got, next, err := s.ListVirtualClusters(ctx, tc.f, store.Page{Limit: 10})
		if err != nil {
			t.Fatalf("%s: ListVirtualClusters() error = %v", tc.name, err)
		}
		if next != "" {
			t.Errorf("%s: next token = %q, want none", tc.name, next)
		}
		if err := sameIDs(ids(got), ids(tc.want)); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
	if _, _, err := s.ListVirtualClusters(ctx, store.VirtualClusterFilter{}, store.Page{Limit: 10, Token: "!!"}); !errors.Is(err, store.ErrInvalidToken) {
		t.Errorf("ListVirtualClusters(bad token) error = %v, want ErrInvalidToken", err)
	}
}

func testSetVirtualClusterScheduler(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("sched", "sched", Epoch))
	two, hundred := 2, 100
	cfg := &emr.SchedulerConfiguration{MaxConcurrentJobRuns: &two, MaxInQueueJobRuns: &hundred}
	got, err := s.SetVirtualClusterScheduler(ctx, vc.ID, cfg)
	must(t, err)
	read, err := s.GetVirtualCluster(ctx, vc.ID)
	must(t, err)
	want := *vc
	want.SchedulerConfiguration = cfg
	MustEqual(t, got, &want)
	MustEqual(t, read, &want) // only the scheduler changes
	if got, err = s.SetVirtualClusterScheduler(ctx, vc.ID, nil); err != nil || got.SchedulerConfiguration != nil {
		t.Fatalf("removing the limits: %+v, %v", got, err)
	}
	if _, err := s.SetVirtualClusterScheduler(ctx, "nosuchcluster", cfg); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown cluster: %v, want ErrNotFound", err)
	}
}
