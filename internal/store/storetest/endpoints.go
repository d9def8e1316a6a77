package storetest

import (
	"slices"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var endpointTests = []subtest{
	{"CreateAndGet", testCreateAndGetEndpoint},
	{"CreateNeedsRunningCluster", testCreateEndpointNeedsRunningCluster},
	{"Idempotency", testEndpointIdempotency},
	{"UpdateCompareAndSet", testUpdateEndpoint},
	{"ListFilters", testListEndpoints},
	{"Tags", testEndpointTags},
}

// NewEndpoint returns a managed endpoint of virtual cluster vcID with a new
// id and every field of the model set.
func NewEndpoint(vcID, typ string, createdAt time.Time) *emr.Endpoint {
	id := emr.NewResourceID()[:17]
	idle := 120
	return &emr.Endpoint{
		ID:               id,
		Name:             "notebooks",
		ARN:              partition.EndpointARN(vcID, id),
		VirtualClusterID: vcID,
		Type:             typ,
		State:            emr.EndpointTerminatedWithErrors,
		ReleaseLabel:     "emr-7.2.0-latest",
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/Studio",
		CertificateARN:   "arn:aws:acm:us-east-1:123456789012:certificate/abcd-1234",
		ConfigurationOverrides: &emr.ConfigurationOverrides{ApplicationConfiguration: []emr.Configuration{
			{Classification: "spark-defaults", Properties: map[string]string{"spark.driver.memory": "2G"}}}},
		CreatedAt:                   createdAt,
		StateDetails:                emr.EndpointNotServed,
		FailureReason:               emr.FailureValidation,
		Tags:                        map[string]string{"team": "notebooks"},
		SessionIdleTimeoutInMinutes: &idle,
	}
}

func mustGetEndpoint(tb testing.TB, s store.Store, vcID, id string) *emr.Endpoint {
	tb.Helper()
	e, err := s.GetManagedEndpoint(tb.Context(), vcID, id)
	if err != nil {
		tb.Fatalf("GetManagedEndpoint(%s, %s) error = %v", vcID, id, err)
	}
	return e
}

func testCreateAndGetEndpoint(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "other", Epoch))
	e := mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(vc.ID, "JUPYTER_ENTERPRISE_GATEWAY", Epoch))
	got := mustGetEndpoint(t, s, vc.ID, e.ID)
	MustEqual(t, got, e)
	if got.SessionIdleTimeoutInMinutes == nil || *got.SessionIdleTimeoutInMinutes != 120 {
		t.Errorf("SessionIdleTimeoutInMinutes = %v, want 120", got.SessionIdleTimeoutInMinutes)
	}
	for _, tc := range []struct{ vc, id string }{{other.ID, e.ID}, {vc.ID, "nope"}, {"", ""}} {
		_, err := s.GetManagedEndpoint(ctx, tc.vc, tc.id)
		MustBe(t, err, store.ErrNotFound)
	}
	dup := NewEndpoint(vc.ID, "x", Epoch)
	dup.ID = e.ID
	_, err := s.CreateManagedEndpoint(ctx, dup, NoIdempotency)
	MustBe(t, err, store.ErrConflict)
}

func testCreateEndpointNeedsRunningCluster(t *testing.T, s store.Store) {
	ctx := t.Context()
	_, err := s.CreateManagedEndpoint(ctx, NewEndpoint(emr.NewResourceID(), "x", Epoch), NoIdempotency)
	MustBe(t, err, store.ErrNotFound)
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	must(t, s.SetVirtualClusterState(ctx, vc.ID, emr.VirtualClusterTerminated))
	_, err = s.CreateManagedEndpoint(ctx, NewEndpoint(vc.ID, "x", Epoch), NoIdempotency)
	MustBe(t, err, store.ErrConflict)
}

func testEndpointIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	idem := store.Idempotency{Scope: "CreateManagedEndpoint/" + vc.ID, Token: "t", Hash: "h"}
	orig := NewEndpoint(vc.ID, "x", Epoch)
	if _, err := s.CreateManagedEndpoint(ctx, orig, idem); err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateManagedEndpoint(ctx, NewEndpoint(vc.ID, "x", Epoch), idem)
	must(t, err)
	MustEqual(t, again, orig)
	other := idem
	other.Hash = "h2"
	_, err = s.CreateManagedEndpoint(ctx, NewEndpoint(vc.ID, "y", Epoch), other)
	MustBe(t, err, store.ErrTokenMismatch)
}

func testUpdateEndpoint(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	e := mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(vc.ID, "x", Epoch))
	stale := *e
	must(t, s.TagResource(ctx, emr.ResourceRef{Kind: emr.KindEndpoint, VirtualClusterID: vc.ID, ID: e.ID}, map[string]string{"new": "tag"}))
	stale.State, stale.StateDetails, stale.FailureReason = emr.EndpointTerminated, "Deleted.", ""
	if err := s.UpdateManagedEndpoint(ctx, &stale, emr.EndpointTerminatedWithErrors); err != nil {
		t.Fatalf("UpdateManagedEndpoint() error = %v", err)
	}
	got := mustGetEndpoint(t, s, vc.ID, e.ID)
	if got.State != emr.EndpointTerminated || got.StateDetails != "Deleted." || got.FailureReason != "" || len(got.Tags) != 2 {
		t.Errorf("after update: %+v", got)
	}
	MustBe(t, s.UpdateManagedEndpoint(ctx, &stale, emr.EndpointTerminatedWithErrors), store.ErrConflict)
	missing := NewEndpoint(vc.ID, "x", Epoch)
	MustBe(t, s.UpdateManagedEndpoint(ctx, missing, missing.State), store.ErrConflict)
}

func testListEndpoints(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "other", Epoch))
	a := mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(vc.ID, "JUPYTER_ENTERPRISE_GATEWAY", secs(0)))
	b := mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(vc.ID, "LIVY", secs(10)))
	c := mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(vc.ID, "JUPYTER_ENTERPRISE_GATEWAY", secs(20)))
	mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(other.ID, "LIVY", secs(5)))
	done := *b
	done.State = emr.EndpointTerminated
	must(t, s.UpdateManagedEndpoint(ctx, &done, b.State))
	f := func(mod func(*store.ManagedEndpointFilter)) store.ManagedEndpointFilter {
		mf := store.ManagedEndpointFilter{VirtualClusterID: vc.ID}
		mod(&mf)
		return mf
	}
	for _, tc := range []struct {
		name string
		f    store.ManagedEndpointFilter
		want []string
	}{
		{"all", f(func(*store.ManagedEndpointFilter) {}), []string{c.ID, b.ID, a.ID}},
		{"state", f(func(m *store.ManagedEndpointFilter) { m.States = []emr.EndpointState{emr.EndpointTerminated} }), []string{b.ID}},
		{"states", f(func(m *store.ManagedEndpointFilter) {
			m.States = []emr.EndpointState{emr.EndpointTerminated, emr.EndpointTerminatedWithErrors}
		}), []string{c.ID, b.ID, a.ID}},
		{"type", f(func(m *store.ManagedEndpointFilter) { m.Types = []string{"JUPYTER_ENTERPRISE_GATEWAY"} }), []string{c.ID, a.ID}},
		{"types", f(func(m *store.ManagedEndpointFilter) { m.Types = []string{"LIVY", "OTHER"} }), []string{b.ID}},
		{"created after", f(func(m *store.ManagedEndpointFilter) { m.CreatedAfter = secs(10) }), []string{c.ID, b.ID}},
		{"created before", f(func(m *store.ManagedEndpointFilter) { m.CreatedBefore = secs(10) }), []string{b.ID, a.ID}},
		{"everything", f(func(m *store.ManagedEndpointFilter) {
			m.Types, m.States, m.CreatedBefore = []string{"JUPYTER_ENTERPRISE_GATEWAY"}, []emr.EndpointState{emr.EndpointTerminatedWithErrors}, secs(15)
		}), []string{a.ID}},
		{"another cluster", store.ManagedEndpointFilter{VirtualClusterID: emr.NewResourceID()}, nil},
	} {
		got := slices.Concat(MustPage(t, listing(t, s.ListManagedEndpoints, tc.f), 1, nil)...)
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

func testEndpointTags(t *testing.T, s store.Store) {
	ctx := t.Context()
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	e := mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(vc.ID, "x", Epoch))
	r := emr.ResourceRef{Kind: emr.KindEndpoint, VirtualClusterID: vc.ID, ID: e.ID}
	MustHaveTags(t, s, r, e.Tags)
	must(t, s.TagResource(ctx, r, map[string]string{"a": "1"}))
	must(t, s.UntagResource(ctx, r, []string{"team"}))
	MustHaveTags(t, s, r, map[string]string{"a": "1"})
	listed, _, err := s.ListManagedEndpoints(ctx, store.ManagedEndpointFilter{VirtualClusterID: vc.ID}, store.Page{})
	if err != nil || len(listed) != 1 {
		t.Fatal(err)
	}
	MustEqual(t, listed[0].Tags, map[string]string{"a": "1"})
	MustEqual(t, mustGetEndpoint(t, s, vc.ID, e.ID).Tags, map[string]string{"a": "1"})
}
