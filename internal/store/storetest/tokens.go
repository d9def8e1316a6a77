package storetest

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var tokenTests = []subtest{
	{"BoundToTheQuery", testTokensBoundToQuery},
	{"Tampered", testTamperedTokens},
}

// fixture for the token tests: two virtual clusters with 3 runs each, 3
// templates, all created at distinct times.
type tokenFixture struct {
	vcs [2]*emr.VirtualCluster
}

func newTokenFixture(t *testing.T, s store.Store) tokenFixture {
	var gen emr.JobRunIDs
	var f tokenFixture
	for i := range f.vcs {
		f.vcs[i] = MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", fmt.Sprint("ns-", i), at3(i)))
		for j := range 3 {
			MustCreateJobRun(t, s, NewJobRun(&gen, f.vcs[i].ID, "r", Epoch.Add(time.Duration(j)*time.Second)))
		}
	}
	for j := range 3 {
		at := Epoch.Add(time.Duration(j) * time.Second)
		mustCreate(t, s.CreateJobTemplate, NewJobTemplate("t", at))
		mustCreate(t, s.CreateSecurityConfiguration, NewSecurityConfiguration("sc", at))
		for _, vc := range f.vcs {
			mustCreate(t, s.CreateManagedEndpoint, NewEndpoint(vc.ID, "JUPYTER_ENTERPRISE_GATEWAY", at))
		}
	}
	return f
}

// listings are every listing of the store, each with a query, by name.
func listings(tb testing.TB, s store.Store, f tokenFixture) map[string]lister {
	a, b := f.vcs[0].ID, f.vcs[1].ID
	return map[string]lister{
		"security configurations":          listing(tb, s.ListSecurityConfigurations, store.SecurityConfigurationFilter{}),
		"security configurations after":    listing(tb, s.ListSecurityConfigurations, store.SecurityConfigurationFilter{CreatedAfter: Epoch}),
		"endpoints of a":                   listing(tb, s.ListManagedEndpoints, store.ManagedEndpointFilter{VirtualClusterID: a}),
		"endpoints of b":                   listing(tb, s.ListManagedEndpoints, store.ManagedEndpointFilter{VirtualClusterID: b}),
		"endpoints of a, of a type":        listing(tb, s.ListManagedEndpoints, store.ManagedEndpointFilter{VirtualClusterID: a, Types: []string{"JUPYTER_ENTERPRISE_GATEWAY"}}),
		"endpoints of a, in a state":       listing(tb, s.ListManagedEndpoints, store.ManagedEndpointFilter{VirtualClusterID: a, States: []emr.EndpointState{emr.EndpointTerminatedWithErrors}}),
		"endpoints of a, created before":   listing(tb, s.ListManagedEndpoints, store.ManagedEndpointFilter{VirtualClusterID: a, CreatedBefore: Epoch.Add(time.Hour)}),
		"runs of a":                        listing(tb, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: a}),
		"runs of b":                        listing(tb, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: b}),
		"runs of a named r":                listing(tb, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: a, Name: "r"}),
		"runs of a PENDING":                listing(tb, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: a, States: []emr.JobRunState{emr.JobRunPending}}),
		"runs of a PENDING or RUNNING":     listing(tb, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: a, States: []emr.JobRunState{emr.JobRunPending, emr.JobRunRunning}}),
		"runs of a created after epoch":    listing(tb, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: a, CreatedAfter: Epoch}),
		"runs of a created before 1 h":     listing(tb, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: a, CreatedBefore: Epoch.Add(time.Hour)}),
		"virtual clusters":                 listing(tb, s.ListVirtualClusters, store.VirtualClusterFilter{}),
		"virtual clusters on prod":         listing(tb, s.ListVirtualClusters, store.VirtualClusterFilter{ProviderID: "prod"}),
		"virtual clusters RUNNING":         listing(tb, s.ListVirtualClusters, store.VirtualClusterFilter{States: []emr.VirtualClusterState{emr.VirtualClusterRunning}}),
		"virtual clusters created after":   listing(tb, s.ListVirtualClusters, store.VirtualClusterFilter{CreatedAfter: Epoch}),
		"templates":                        listing(tb, s.ListJobTemplates, store.JobTemplateFilter{}),
		"templates created after epoch":    listing(tb, s.ListJobTemplates, store.JobTemplateFilter{CreatedAfter: Epoch}),
		"templates created before 1 h":     listing(tb, s.ListJobTemplates, store.JobTemplateFilter{CreatedBefore: Epoch.Add(time.Hour)}),
		"templates created in the 1st day": listing(tb, s.ListJobTemplates, store.JobTemplateFilter{CreatedAfter: Epoch, CreatedBefore: Epoch.Add(24 * time.Hour)}),
	}
}

// A token is taken back by the listing and query that made it (whatever
// the page size), and by no other.
func testTokensBoundToQuery(t *testing.T, s store.Store) {
	f := newTokenFixture(t, s)
	ls := listings(t, s, f)
	tokens := map[string]string{}
	for name, l := range ls {
		_, next, err := l(store.Page{Limit: 1})
		if err != nil || next == "" {
			t.Fatalf("%s: first page: next %q, error %v", name, next, err)
		}
		tokens[name] = next
		// The same query takes it, with any page size; the same filters
		// in another order (states) are the same query.
		for _, limit := range []int{1, 5, 0} {
			if _, _, err := l(store.Page{Limit: limit, Token: next}); err != nil {
				t.Errorf("%s: its own token, limit %d: %v", name, limit, err)
			}
		}
	}
	for from, token := range tokens {
		for to, l := range ls {
			if from == to {
				continue
			}
			if _, _, err := l(store.Page{Limit: 1, Token: token}); !errors.Is(err, store.ErrInvalidToken) {
				t.Errorf("token of %q taken by %q: error = %v, want ErrInvalidToken", from, to, err)
			}
		}
	}
	// The order of states does not make another query.
	a := f.vcs[0].ID
	_, next, err := s.ListJobRuns(t.Context(), store.JobRunFilter{VirtualClusterID: a, States: []emr.JobRunState{emr.JobRunRunning, emr.JobRunPending}}, store.Page{Limit: 1})
	must(t, err)
	if _, _, err := ls["runs of a PENDING or RUNNING"](store.Page{Limit: 1, Token: next}); err != nil {
		t.Errorf("states in another order: %v", err)
	}
}

// Any change to a token makes it invalid, and never fails otherwise.
func testTamperedTokens(t *testing.T, s store.Store) {
	f := newTokenFixture(t, s)
	l := listings(t, s, f)["runs of a"]
	_, token, err := l(store.Page{Limit: 1})
	must(t, err)
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	var bad []string
	for i := range token {
		for _, c := range []byte{alphabet[(strings.IndexByte(alphabet, token[i])+1)%len(alphabet)], '!', '='} {
			bad = append(bad, token[:i]+string(c)+token[i+1:])
		}
		bad = append(bad, token[:i], token[:i]+token[i+1:])
	}
	bad = append(bad, token+"A", token+token, "A"+token)
	for _, b := range bad {
		if b == "" || b == token {
			continue
		}
		if _, _, err := l(store.Page{Limit: 1, Token: b}); !errors.Is(err, store.ErrInvalidToken) {
			t.Fatalf("token %q (was %q): error = %v, want ErrInvalidToken", b, token, err)
		}
	}
}

// testTokensOfAnotherStore: a token is bound to the database that made it.
func testTokensOfAnotherStore(t *testing.T, open func(t *testing.T) store.Store) {
	var stores [2]store.Store
	var fixtures [2]tokenFixture
	for i := range stores {
		stores[i] = open(t)
		defer func() {
			if err := stores[i].Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
		}()
		fixtures[i] = newTokenFixture(t, stores[i])
	}
	_, token, err := listings(t, stores[0], fixtures[0])["templates"](store.Page{Limit: 1})
	must(t, err)
	if _, _, err := listings(t, stores[1], fixtures[1])["templates"](store.Page{Limit: 1, Token: token}); !errors.Is(err, store.ErrInvalidToken) {
		t.Errorf("another store's token: error = %v, want ErrInvalidToken", err)
	}
}
