package storetest

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var pagingTests = []subtest{
	{"JobRunsNewestFirst", testPageJobRuns},
	{"VirtualClustersNewestFirst", testPageVirtualClusters},
	{"JobRunsWithInsertsBetweenPages", testPageJobRunsWithInserts},
	{"VirtualClustersWithInsertsBetweenPages", testPageVirtualClustersWithInserts},
	{"JobTemplatesNewestFirst", testPageJobTemplates},
	{"NoLimit", testPageNoLimit},
	{"InvalidToken", testInvalidToken},
}

// lister fetches one page of some listing.
type lister func(p store.Page) (ids []string, next string, err error)

// listing is the lister of a List method of a store (s.ListJobRuns, …)
// with the query f.
func listing[F any, T resource](tb testing.TB, list func(context.Context, F, store.Page) ([]T, string, error), f F) lister {
	return func(p store.Page) ([]string, string, error) {
		items, next, err := list(tb.Context(), f, p)
		return ids(items), next, err
	}
}

// MustPage lists every page of l with limit, calling between after each
// page but the last, and returns the pages.
func MustPage(tb testing.TB, l lister, limit int, between func()) [][]string {
	tb.Helper()
	var (
		pages [][]string
		token string
	)
	for {
		page, next, err := l(store.Page{Limit: limit, Token: token})
		if err != nil {
			tb.Fatalf("page %d (limit %d): error = %v", len(pages)+1, limit, err)
		}
		if len(page) > limit {
			tb.Fatalf("page %d has %d items, more than the limit %d", len(pages)+1, len(page), limit)
		}
		if next != "" && (len(next) > 1024 || strings.TrimSpace(next) == "") {
			tb.Fatalf("next token %q is not a valid NextToken (1..1024, not blank)", next)
		}
		pages = append(pages, page)
		if next == "" {
			return pages
		}
		if len(page) == 0 {
			tb.Fatalf("page %d is empty but has a next token", len(pages))
		}
		if len(pages) > 1000 {
			tb.Fatal("more than 1000 pages: the listing does not end")
		}
		token = next
		if between != nil {
			between()
		}
	}
}

type item struct {
	id string
	at time.Time
}

// newestFirst sorts items as every listing orders them: created_at DESC, id DESC.
func newestFirst(items []item) []string {
	slices.SortFunc(items, func(a, b item) int {
		if c := b.at.Compare(a.at); c != 0 {
			return c
		}
		return cmp.Compare(b.id, a.id)
	})
	out := make([]string, len(items))
	for i, it := range items {
		out[i] = it.id
	}
	return out
}

// at3 gives three items each creation time, so ties are broken by id.
func at3(i int) time.Time { return Epoch.Add(time.Duration(i/3) * time.Second) }

func testPageJobRuns(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	other := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "other", Epoch))
	var items []item
	for i := range 23 {
		// Create them out of order, so insertion order says nothing.
		at := at3((i * 7) % 23)
		run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "r", at))
		items = append(items, item{run.ID, at})
		MustCreateJobRun(t, s, NewJobRun(&gen, other.ID, "noise", at))
	}
	want := newestFirst(items)
	for _, limit := range []int{1, 3, 5, 22, 23, 24, 100} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			pages := MustPage(t, listing(t, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: vc.ID}), limit, nil)
			must(t, sameIDs(slices.Concat(pages...), want))
			if n := (len(want) + limit - 1) / limit; len(pages) > n+1 {
				t.Errorf("%d pages, want at most %d", len(pages), n+1)
			}
		})
	}
}

func testPageVirtualClusters(t *testing.T, s store.Store) {
	var items []item
	for i := range 14 {
		at := at3((i * 5) % 14)
		vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", fmt.Sprint("ns-", i), at))
		items = append(items, item{vc.ID, at})
	}
	want := newestFirst(items)
	for _, limit := range []int{1, 2, 4, 13, 14, 15} {
		t.Run(fmt.Sprint("limit ", limit), func(t *testing.T) {
			pages := MustPage(t, listing(t, s.ListVirtualClusters, store.VirtualClusterFilter{}), limit, nil)
			must(t, sameIDs(slices.Concat(pages...), want))
		})
	}
}

func testPageJobTemplates(t *testing.T, s store.Store) {
	var items []item
	for i := range 11 {
		at := at3((i * 4) % 11)
		tmpl := mustCreate(t, s.CreateJobTemplate, NewJobTemplate(fmt.Sprint("t", i), at))
		items = append(items, item{tmpl.ID, at})
	}
	want := newestFirst(items)
	for _, limit := range []int{1, 2, 5, 10, 11, 12} {
		pages := MustPage(t, listing(t, s.ListJobTemplates, store.JobTemplateFilter{}), limit, nil)
		if err := sameIDs(slices.Concat(pages...), want); err != nil {
			t.Fatalf("limit %d: %v", limit, err)
		}
	}
}

// mustSeeOnceInOrder checks a listing paged while items were added: every
// item there from the start is seen exactly once, no item is seen twice,
// and the items seen come in listing order.
func mustSeeOnceInOrder(tb testing.TB, pages [][]string, original []string, all map[string]time.Time) {
	tb.Helper()
	seen := map[string]int{}
	var prev item
	for _, id := range slices.Concat(pages...) {
		seen[id]++
		if seen[id] > 1 {
			tb.Fatalf("%s listed twice: %v", id, pages)
		}
		cur := item{id, all[id]}
		if prev.id != "" && (cur.at.After(prev.at) || cur.at.Equal(prev.at) && cur.id > prev.id) {
			tb.Fatalf("%s listed after %s, out of order: %v", cur.id, prev.id, pages)
		}
		prev = cur
	}
	for _, id := range original {
		if seen[id] != 1 {
			tb.Fatalf("%s, there before paging began, listed %d times: %v", id, seen[id], pages)
		}
	}
}

func testPageJobRunsWithInserts(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	all := map[string]time.Time{}
	add := func(at time.Time) string {
		run := MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "r", at))
		all[run.ID] = at
		return run.ID
	}
	var original []string
	for i := range 15 {
		original = append(original, add(at3(i)))
	}
	later := at3(100)
	pages := MustPage(t, listing(t, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: vc.ID}), 4, func() {
		later = later.Add(time.Second)
		add(later)    // newer than everything: belongs before the first page
		add(at3(7))   // a tie with items already listed or still to come
		add(at3(0))   // older than everything: belongs on the last page
		add(Epoch)    // the oldest instant again
		add(at3(100)) // another tie, far ahead
	})
	mustSeeOnceInOrder(t, pages, original, all)
}

func testPageVirtualClustersWithInserts(t *testing.T, s store.Store) {
	all := map[string]time.Time{}
	n := 0
	add := func(at time.Time) string {
		n++
		vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", fmt.Sprint("ns-", n), at))
		all[vc.ID] = at
		return vc.ID
	}
	var original []string
	for i := range 12 {
		original = append(original, add(at3(i)))
	}
	pages := MustPage(t, listing(t, s.ListVirtualClusters, store.VirtualClusterFilter{}), 5, func() {
		add(at3(50))
		add(at3(5)) // a tie: the random id falls before or after the cursor
		add(at3(5))
		add(Epoch)
	})
	mustSeeOnceInOrder(t, pages, original, all)
}

// A Page with no Limit lists everything at once.
func testPageNoLimit(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	var vcs, runs []item
	for i := range 3 {
		vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", fmt.Sprint("ns-", i), at3(i)))
		vcs = append(vcs, item{vc.ID, vc.CreatedAt})
	}
	for i := range 7 {
		run := MustCreateJobRun(t, s, NewJobRun(&gen, vcs[0].id, "r", at3(i)))
		runs = append(runs, item{run.ID, run.CreatedAt})
	}
	for _, tc := range []struct {
		name string
		l    lister
		want []string
	}{
		{"job runs", listing(t, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: vcs[0].id}), newestFirst(runs)},
		{"virtual clusters", listing(t, s.ListVirtualClusters, store.VirtualClusterFilter{}), newestFirst(vcs)},
	} {
		for _, limit := range []int{0, -1} {
			got, next, err := tc.l(store.Page{Limit: limit})
			if err != nil || next != "" {
				t.Fatalf("%s, limit %d: next, error = %q, %v; want everything at once", tc.name, limit, next, err)
			}
			if err := sameIDs(got, tc.want); err != nil {
				t.Fatalf("%s, limit %d: %v", tc.name, limit, err)
			}
		}
	}
}

func testInvalidToken(t *testing.T, s store.Store) {
	var gen emr.JobRunIDs
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("prod", "spark", Epoch))
	MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "r", Epoch))
	for _, token := range []string{"!", " ", "bm9wZQ", "MTIz", "=====", strings.Repeat("A", 1024), "eyJ0cyI6MX0"} {
		for name, l := range map[string]lister{"job runs": listing(t, s.ListJobRuns, store.JobRunFilter{VirtualClusterID: vc.ID}), "virtual clusters": listing(t, s.ListVirtualClusters, store.VirtualClusterFilter{}),
			"job templates": listing(t, s.ListJobTemplates, store.JobTemplateFilter{})} {
			if _, _, err := l(store.Page{Limit: 10, Token: token}); !errors.Is(err, store.ErrInvalidToken) {
				t.Errorf("%s, token %.20q: error = %v, want ErrInvalidToken", name, token, err)
			}
		}
	}
}
