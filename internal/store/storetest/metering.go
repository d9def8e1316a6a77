package storetest

import (
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

var meteringTests = []subtest{
	{"RecordedWhenStartedAndEnded", testUsageStartThenEnd},
	{"TagsJoined", testUsageTags},
	{"Window", testUsageWindow},
	{"StreamStopsEarly", testUsageStopsEarly},
	{"InvalidRefused", testUsageInvalid},
	{"NodesWiden", testNodesWiden},
	{"NodesWindow", testNodesWindow},
}

// NewUsage returns a running driver pod record of run, started at start.
func NewUsage(run *emr.JobRun, pod string, start time.Time) cost.Usage {
	return cost.Usage{
		JobRunID: run.ID, VirtualClusterID: run.VirtualClusterID, Attempt: 1,
		Pod: pod, PodUID: "uid-" + pod, Component: cost.ComponentDriver, Namespace: "spark",
		Request: cost.Resources{CPU: 1, Memory: 2 << 30},
		Limit:   cost.Resources{CPU: 2, Memory: 3 << 30},
		Start:   start,
	}
}

// MustRecordUsage records u and fails the test on error.
func MustRecordUsage(tb testing.TB, s store.Store, u cost.Usage) {
	tb.Helper()
	if err := s.RecordUsage(tb.Context(), u); err != nil {
		tb.Fatalf("RecordUsage(%s) error = %v", u.Pod, err)
	}
}

// MustUsage reads every record overlapping [from, to), sorted by pod.
func MustUsage(tb testing.TB, s store.Store, from, to time.Time) []cost.Usage {
	tb.Helper()
	var got []cost.Usage
	for u, err := range s.Usage(tb.Context(), from, to) {
		if err != nil {
			tb.Fatalf("Usage() error = %v", err)
		}
		got = append(got, u)
	}
	slices.SortFunc(got, func(a, b cost.Usage) int { return strings.Compare(a.Pod, b.Pod) })
	return got
}

// newMeteredRun stores a virtual cluster and a run of it for records to
// refer to.
func newMeteredRun(t *testing.T, s store.Store) *emr.JobRun {
	vc := MustCreateVirtualCluster(t, s, NewVirtualCluster("eks-1", "ns-"+emr.NewResourceID(), Epoch))
	var gen emr.JobRunIDs
	return MustCreateJobRun(t, s, NewJobRun(&gen, vc.ID, "metered", Epoch))
}

// A pod recorded when it starts and again when it ends is one record with
// the end, the node and the usage of the second write and the start of the
// first; a later write without them keeps them.
func testUsageStartThenEnd(t *testing.T, s store.Store) {
	run := newMeteredRun(t, s)
	started := NewUsage(run, "driver", Epoch)
	MustRecordUsage(t, s, started)
	got := MustUsage(t, s, Epoch, Epoch.Add(hour))
	if len(got) != 1 || !got[0].End.IsZero() || got[0].Used != nil {
		t.Fatalf("after start: %+v, want one running record without usage", got)
	}
	ended := started
	ended.Node, ended.InstanceType, ended.CapacityType, ended.Zone = "ip-10-0-0-1", "m5.xlarge", cost.Spot, "us-east-1a"
	ended.Start = Epoch.Add(time.Second) // a later, less exact sighting
	ended.End = Epoch.Add(90 * time.Second)
	ended.Used = &cost.Resources{CPU: 0.5, Memory: 1 << 30}
	MustRecordUsage(t, s, ended)
	again := started // a stale write of the start
	MustRecordUsage(t, s, again)

	want := ended
	want.Start = Epoch
	want.RunTags, want.VirtualClusterTags = run.Tags, map[string]string{"team": "data"}
	got = MustUsage(t, s, Epoch, Epoch.Add(hour))
	if len(got) != 1 {
		t.Fatalf("Usage() = %d records, want 1: %+v", len(got), got)
	}
	MustEqual(t, got[0], want)
}

// Records carry the current tags of their run and virtual cluster; a record
// of a run the store does not know has none.
func testUsageTags(t *testing.T, s store.Store) {
	run := newMeteredRun(t, s)
	ref := emr.ResourceRef{Kind: emr.KindJobRun, ID: run.ID, VirtualClusterID: run.VirtualClusterID}
	if err := s.TagResource(t.Context(), ref, map[string]string{"team": "ml", "cost-center": "42"}); err != nil {
		t.Fatalf("TagResource() error = %v", err)
	}
	MustRecordUsage(t, s, NewUsage(run, "a-driver", Epoch))
	orphan := NewUsage(&emr.JobRun{ID: "00000000000000000000", VirtualClusterID: "unknown"}, "b-orphan", Epoch)
	MustRecordUsage(t, s, orphan)
	got := MustUsage(t, s, Epoch, Epoch.Add(hour))
	if len(got) != 2 {
		t.Fatalf("Usage() = %d records, want 2", len(got))
	}
	if want := map[string]string{"team": "ml", "cost-center": "42"}; !maps.Equal(got[0].RunTags, want) {
		t.Errorf("run tags = %v, want %v", got[0].RunTags, want)
	}
	if want := map[string]string{"team": "data"}; !maps.Equal(got[0].VirtualClusterTags, want) {
		t.Errorf("virtual cluster tags = %v, want %v", got[0].VirtualClusterTags, want)
	}
	if got[1].RunTags != nil || got[1].VirtualClusterTags != nil {
		t.Errorf("orphan tags = %v, %v, want none", got[1].RunTags, got[1].VirtualClusterTags)
	}
}

// Usage returns the records whose [start, end) overlaps [from, to): running
// ones that started before to, ended ones that also ended after from.
func testUsageWindow(t *testing.T, s store.Store) {
	run := newMeteredRun(t, s)
	at := func(min int) time.Time { return Epoch.Add(time.Duration(min) * time.Minute) }
	record := func(pod string, start, end int) {
		u := NewUsage(run, pod, at(start))
		if end >= 0 {
			u.End = at(end)
		}
		MustRecordUsage(t, s, u)
	}
	record("before", 0, 10) // ends when the window starts
	record("across-from", 5, 15)
	record("inside", 12, 18)
	record("across-to", 18, 30)
	record("after", 20, 25)  // starts when the window ends
	record("running", 0, -1) // still running
	record("running-late", 20, -1)
	var pods []string
	for _, u := range MustUsage(t, s, at(10), at(20)) {
		pods = append(pods, u.Pod)
	}
	MustEqual(t, pods, []string{"across-from", "across-to", "inside", "running"})
}

// Breaking out of the range ends the stream without error.
func testUsageStopsEarly(t *testing.T, s store.Store) {
	run := newMeteredRun(t, s)
	for _, pod := range []string{"a", "b", "c"} {
		MustRecordUsage(t, s, NewUsage(run, pod, Epoch))
	}
	n := 0
	for _, err := range s.Usage(t.Context(), Epoch, Epoch.Add(hour)) {
		if err != nil {
			t.Fatalf("Usage() error = %v", err)
		}
		n++
		if n == 2 {
			break
		}
	}
	if n != 2 {
		t.Fatalf("read %d records, want 2", n)
	}
	if got := MustUsage(t, s, Epoch, Epoch.Add(hour)); len(got) != 3 {
		t.Fatalf("after an early stop Usage() = %d records, want 3", len(got))
	}
}

// Records and nodes that cannot be priced are refused and not stored.
func testUsageInvalid(t *testing.T, s store.Store) {
	run := newMeteredRun(t, s)
	bad := NewUsage(run, "driver", Epoch)
	bad.End = Epoch.Add(-time.Second)
	if err := s.RecordUsage(t.Context(), bad); !errors.Is(err, cost.ErrInvalidUsage) {
		t.Fatalf("RecordUsage(end before start) error = %v, want cost.ErrInvalidUsage", err)
	}
	if got := MustUsage(t, s, Epoch.Add(-hour), Epoch.Add(hour)); len(got) != 0 {
		t.Fatalf("Usage() = %+v after a refused record, want none", got)
	}
	if err := s.RecordNode(t.Context(), cost.Node{Name: "n", CPU: -1, Start: Epoch}); !errors.Is(err, cost.ErrInvalidUsage) {
		t.Fatalf("RecordNode(negative cpu) error = %v, want cost.ErrInvalidUsage", err)
	}
}

// MustRecordNode records n and fails the test on error.
func MustRecordNode(tb testing.TB, s store.Store, n cost.Node) {
	tb.Helper()
	if err := s.RecordNode(tb.Context(), n); err != nil {
		tb.Fatalf("RecordNode(%s) error = %v", n.Name, err)
	}
}

// MustNodes reads the nodes up in [from, to).
func MustNodes(tb testing.TB, s store.Store, from, to time.Time) []cost.Node {
	tb.Helper()
	nodes, err := s.Nodes(tb.Context(), from, to)
	if err != nil {
		tb.Fatalf("Nodes() error = %v", err)
	}
	return nodes
}

// A node seen several times keeps the widest [first, last) seen; a stale
// "still up" sighting does not reopen it, a later one does.
func testNodesWiden(t *testing.T, s store.Store) {
	n := cost.Node{Name: "ip-10-0-0-1", InstanceType: "m5.xlarge", CapacityType: cost.OnDemand, Zone: "us-east-1a",
		CPU: 3.92, Memory: 15 << 30, Start: Epoch.Add(time.Minute)}
	MustRecordNode(t, s, n)
	earlier := n
	earlier.Start, earlier.InstanceType = Epoch, "" // an empty field keeps what was recorded
	MustRecordNode(t, s, earlier)
	want := n
	want.Start = Epoch
	MustEqual(t, MustNodes(t, s, Epoch, Epoch.Add(hour)), []cost.Node{want})

	ended := n
	ended.End = Epoch.Add(30 * time.Minute)
	MustRecordNode(t, s, ended)
	MustRecordNode(t, s, n) // stale: started before the recorded end
	want.End = ended.End
	MustEqual(t, MustNodes(t, s, Epoch, Epoch.Add(hour)), []cost.Node{want})
	shorter := n
	shorter.End = Epoch.Add(20 * time.Minute)
	MustRecordNode(t, s, shorter)
	MustEqual(t, MustNodes(t, s, Epoch, Epoch.Add(hour)), []cost.Node{want})

	back := n
	back.Start = Epoch.Add(40 * time.Minute)
	MustRecordNode(t, s, back)
	want.End = time.Time{}
	MustEqual(t, MustNodes(t, s, Epoch, Epoch.Add(hour)), []cost.Node{want})
}

// Nodes returns those up at some time in [from, to), sorted by name.
func testNodesWindow(t *testing.T, s store.Store) {
	at := func(min int) time.Time { return Epoch.Add(time.Duration(min) * time.Minute) }
	for _, n := range []cost.Node{
		{Name: "a-before", CPU: 2, Memory: 8 << 30, Start: at(0), End: at(10)},
		{Name: "b-across", CPU: 2, Memory: 8 << 30, Start: at(5), End: at(15)},
		{Name: "c-up", CPU: 2, Memory: 8 << 30, Start: at(0)},
		{Name: "d-after", CPU: 2, Memory: 8 << 30, Start: at(20)},
	} {
		MustRecordNode(t, s, n)
	}
	var names []string
	for _, n := range MustNodes(t, s, at(10), at(20)) {
		names = append(names, n.Name)
	}
	MustEqual(t, names, []string{"b-across", "c-up"})
}
