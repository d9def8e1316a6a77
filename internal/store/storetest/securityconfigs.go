package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var securityConfigurationTests = []subtest{
	{"CreateAndGet", testCreateAndGetSecurityConfiguration},
	{"Idempotency", testSecurityConfigurationIdempotency},
	{"DeleteUnlessInUse", testDeleteSecurityConfiguration},
	{"VirtualClustersNeedAnExistingOne", testVirtualClusterNeedsSecurityConfiguration},
	{"ListFilters", testListSecurityConfigurations},
}

// NewSecurityConfiguration returns a security configuration with a new id
// and every field of the model set.
func NewSecurityConfiguration(name string, createdAt time.Time) *emr.SecurityConfiguration {
	id := emr.NewResourceID()
	yes := true
	return &emr.SecurityConfiguration{
		ID:        id,
		Name:      name,
		ARN:       partition.SecurityConfigurationARN(id),
		CreatedAt: createdAt,
		CreatedBy: "arn:aws:iam::123456789012:user/alice",
		Tags:      map[string]string{"team": "security"},
		SecurityConfigurationData: &emr.SecurityConfigurationData{
			AuthorizationConfiguration: &emr.AuthorizationConfiguration{
				LakeFormationConfiguration: &emr.LakeFormationConfiguration{
					AuthorizedSessionTagValue: "EMR on EKS Engine",
					SecureNamespaceInfo:       &emr.SecureNamespaceInfo{ClusterID: "prod", Namespace: "system"},
					QueryEngineRoleARN:        "arn:aws:iam::123456789012:role/QueryEngine",
				},
				EncryptionConfiguration: &emr.EncryptionConfiguration{InTransitEncryptionConfiguration: &emr.InTransitEncryptionConfiguration{
					TLSCertificateConfiguration: &emr.TLSCertificateConfiguration{CertificateProviderType: "PEM",
						PublicCertificateSecretARN:  "arn:aws:secretsmanager:us-east-1:123456789012:secret:pub",
						PrivateCertificateSecretARN: "arn:aws:secretsmanager:us-east-1:123456789012:secret:priv"}}},
			},
			AuthenticationConfiguration: &emr.AuthenticationConfiguration{
				IdentityCenterConfiguration: &emr.IdentityCenterConfiguration{EnableIdentityCenter: &yes,
					IdentityCenterInstanceARN: "arn:aws:sso:::instance/ssoins-1234"},
				IAMConfiguration: &emr.IAMConfiguration{SystemRole: "arn:aws:iam::123456789012:role/System"},
			},
		},
		ContainerProvider: &emr.ContainerProvider{Type: emr.ContainerProviderEKS, ID: "prod"},
	}
}

func testCreateAndGetSecurityConfiguration(t *testing.T, s store.Store) {
	ctx := t.Context()
	sc := mustCreate(t, s.CreateSecurityConfiguration, NewSecurityConfiguration("lf", Epoch))
	got, err := s.GetSecurityConfiguration(ctx, sc.ID)
	must(t, err)
	MustEqual(t, got, sc)
	// The container provider, which the API does not return, is kept too.
	MustEqual(t, got.ContainerProvider, sc.ContainerProvider)
	for _, id := range []string{emr.NewResourceID(), ""} {
		_, err := s.GetSecurityConfiguration(ctx, id)
		MustBe(t, err, store.ErrNotFound)
	}
	dup := NewSecurityConfiguration("dup", Epoch)
	dup.ID = sc.ID
	_, err = s.CreateSecurityConfiguration(ctx, dup, NoIdempotency)
	MustBe(t, err, store.ErrConflict)
}

func testSecurityConfigurationIdempotency(t *testing.T, s store.Store) {
	ctx := t.Context()
	idem := store.Idempotency{Scope: "CreateSecurityConfiguration", Token: "t", Hash: "h"}
	orig := NewSecurityConfiguration("a", Epoch)
	if _, err := s.CreateSecurityConfiguration(ctx, orig, idem); err != nil {
		t.Fatal(err)
	}
	again, err := s.CreateSecurityConfiguration(ctx, NewSecurityConfiguration("a", Epoch), idem)
	if err != nil || again.ID != orig.ID {
		t.Fatalf("replay = %v, %v; want %s", again, err, orig.ID)
	}
	other := idem
	other.Hash = "h2"
	_, err = s.CreateSecurityConfiguration(ctx, NewSecurityConfiguration("b", Epoch), other)
	MustBe(t, err, store.ErrTokenMismatch)
	must(t, s.DeleteSecurityConfiguration(ctx, orig.ID))
	_, err = s.CreateSecurityConfiguration(ctx, NewSecurityConfiguration("a", Epoch), idem)
	MustBe(t, err, store.ErrNotFound)
}

func testDeleteSecurityConfiguration(t *testing.T, s store.Store) {
	ctx := t.Context()
	sc := mustCreate(t, s.CreateSecurityConfiguration, NewSecurityConfiguration("lf", Epoch))
	vc := NewVirtualCluster("prod", "spark", Epoch)
	vc.SecurityConfigurationID = sc.ID
	MustCreateVirtualCluster(t, s, vc)
	users, _, err := s.ListVirtualClusters(ctx, store.VirtualClusterFilter{SecurityConfigurationID: sc.ID}, store.Page{})
	if err != nil || len(users) != 1 || users[0].ID != vc.ID {
		t.Fatalf("ListVirtualClusters(securityConfigurationId) = %v, %v", ids(users), err)
	}
	for _, state := range []emr.VirtualClusterState{emr.VirtualClusterRunning, emr.VirtualClusterArrested, emr.VirtualClusterTerminating} {
		must(t, s.SetVirtualClusterState(ctx, vc.ID, state))
		MustBe(t, s.DeleteSecurityConfiguration(ctx, sc.ID), store.ErrConflict)
	}
	if _, err := s.GetSecurityConfiguration(ctx, sc.ID); err != nil {
		t.Fatalf("after refused deletes: %v", err)
	}
	must(t, s.SetVirtualClusterState(ctx, vc.ID, emr.VirtualClusterTerminated))
	if err := s.DeleteSecurityConfiguration(ctx, sc.ID); err != nil {
		t.Fatalf("DeleteSecurityConfiguration() once unused: %v", err)
	}
	_, err = s.GetSecurityConfiguration(ctx, sc.ID)
	MustBe(t, err, store.ErrNotFound)
	MustBe(t, s.DeleteSecurityConfiguration(ctx, sc.ID), store.ErrNotFound)
}

func testVirtualClusterNeedsSecurityConfiguration(t *testing.T, s store.Store) {
	vc := NewVirtualCluster("prod", "spark", Epoch)
	vc.SecurityConfigurationID = emr.NewResourceID()
	_, err := s.CreateVirtualCluster(t.Context(), vc, NoIdempotency)
	MustBe(t, err, store.ErrNotFound)
	all, _, err := s.ListVirtualClusters(t.Context(), store.VirtualClusterFilter{}, store.Page{})
	if err != nil || len(all) != 0 {
		t.Fatalf("ListVirtualClusters() = %v, %v; want none", ids(all), err)
	}
}

func testListSecurityConfigurations(t *testing.T, s store.Store) {
	var all []*emr.SecurityConfiguration
	for i := range 5 {
		all = append([]*emr.SecurityConfiguration{mustCreate(t, s.CreateSecurityConfiguration, NewSecurityConfiguration(fmt.Sprint("sc", i), secs(i*10)))}, all...)
	}
	for _, tc := range []struct {
		name string
		f    store.SecurityConfigurationFilter
		want []*emr.SecurityConfiguration
	}{
		{"all", store.SecurityConfigurationFilter{}, all},
		{"created after", store.SecurityConfigurationFilter{CreatedAfter: secs(20)}, all[:3]},
		{"created before", store.SecurityConfigurationFilter{CreatedBefore: secs(20)}, all[2:]},
		{"between", store.SecurityConfigurationFilter{CreatedAfter: secs(5), CreatedBefore: secs(25)}, all[2:4]},
	} {
		got := slices.Concat(MustPage(t, listing(t, s.ListSecurityConfigurations, tc.f), 2, nil)...)
		if !slices.Equal(got, ids(tc.want)) {
			t.Errorf("%s: %v, want %v", tc.name, got, ids(tc.want))
		}
	}
	listed, _, err := s.ListSecurityConfigurations(t.Context(), store.SecurityConfigurationFilter{}, store.Page{})
	must(t, err)
	MustEqual(t, listed, all)
}
