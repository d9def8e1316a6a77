package e2e

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers"
	"github.com/aws/aws-sdk-go-v2/service/emrcontainers/types"
)

// pause leaves a few milliseconds between creations, so that createdAt
// (kept to the millisecond) orders them and a time between them splits them.
func pause() time.Time {
	time.Sleep(5 * time.Millisecond)
	t := time.Now()
	time.Sleep(5 * time.Millisecond)
	return t
}

func pageVCs(t *testing.T, c *emrcontainers.Client, in *emrcontainers.ListVirtualClustersInput) []string {
	t.Helper()
	var out []string
	p := emrcontainers.NewListVirtualClustersPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range page.VirtualClusters {
			out = append(out, aws.ToString(v.Id))
		}
	}
	return out
}

func pageRuns(t *testing.T, c *emrcontainers.Client, in *emrcontainers.ListJobRunsInput) []string {
	t.Helper()
	var out []string
	p := emrcontainers.NewListJobRunsPaginator(c, in)
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range page.JobRuns {
			out = append(out, aws.ToString(r.Id))
		}
	}
	return out
}

// Every filter of ListVirtualClusters and ListJobRuns, through the SDK
// paginators one item per page.
func TestListFilters(t *testing.T) {
	s := startServer(t, "")
	c := s.Client
	ctx := context.Background()
	a := createVC(t, c, "a", "a")
	mid := pause()
	b := createVC(t, c, "b", "b")
	pause() // the listing order is createdAt (ms), then id: keep the creations apart
	cc := createVC(t, c, "c", "c")
	if _, err := c.DeleteVirtualCluster(ctx, &emrcontainers.DeleteVirtualClusterInput{Id: aws.String(cc)}); err != nil {
		t.Fatal(err)
	}
	one := aws.Int32(1)
	for _, tc := range []struct {
		name string
		in   emrcontainers.ListVirtualClustersInput
		want []string
	}{
		{"all", emrcontainers.ListVirtualClustersInput{}, []string{cc, b, a}},
		{"RUNNING", emrcontainers.ListVirtualClustersInput{States: []types.VirtualClusterState{types.VirtualClusterStateRunning}}, []string{b, a}},
		{"TERMINATED or ARRESTED", emrcontainers.ListVirtualClustersInput{States: []types.VirtualClusterState{
			types.VirtualClusterStateTerminated, types.VirtualClusterStateArrested}}, []string{cc}},
		{"on cluster local", emrcontainers.ListVirtualClustersInput{ContainerProviderId: aws.String("local")}, []string{cc, b, a}},
		{"on another cluster", emrcontainers.ListVirtualClustersInput{ContainerProviderId: aws.String("prod-eks")}, nil},
		{"EKS", emrcontainers.ListVirtualClustersInput{ContainerProviderType: types.ContainerProviderTypeEks}, []string{cc, b, a}},
		{"created after", emrcontainers.ListVirtualClustersInput{CreatedAfter: aws.Time(mid)}, []string{cc, b}},
		{"created before", emrcontainers.ListVirtualClustersInput{CreatedBefore: aws.Time(mid)}, []string{a}},
		{"all at once", emrcontainers.ListVirtualClustersInput{CreatedAfter: aws.Time(mid), ContainerProviderId: aws.String("local"),
			States: []types.VirtualClusterState{types.VirtualClusterStateRunning}}, []string{b}},
	} {
		in := tc.in
		in.MaxResults = one
		if got := pageVCs(t, c, &in); !slices.Equal(got, tc.want) {
			t.Errorf("ListVirtualClusters %s: %v, want %v", tc.name, got, tc.want)
		}
	}

	var runs []string
	var midRuns time.Time
	for i, name := range []string{"x", "y", "x"} {
		if i == 1 {
			midRuns = pause()
		}
		in := piInput(a)
		in.Name = aws.String(name)
		in.JobDriver.SparkSubmitJobDriver.EntryPoint = aws.String(missingEntryPoint)
		out, err := c.StartJobRun(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		runs = append([]string{aws.ToString(out.Id)}, runs...)
		waitFor(t, c, a, aws.ToString(out.Id), time.Minute, terminal)
	}
	// One run of b, still PENDING or gone further, to show runs are per cluster.
	startJob(t, c, b, "x", missingEntryPoint, "")
	for _, tc := range []struct {
		name string
		in   emrcontainers.ListJobRunsInput
		want []string
	}{
		{"all", emrcontainers.ListJobRunsInput{}, runs},
		{"named x", emrcontainers.ListJobRunsInput{Name: aws.String("x")}, []string{runs[0], runs[2]}},
		{"named z", emrcontainers.ListJobRunsInput{Name: aws.String("z")}, nil},
		{"FAILED", emrcontainers.ListJobRunsInput{States: []types.JobRunState{types.JobRunStateFailed}}, runs},
		{"PENDING or RUNNING", emrcontainers.ListJobRunsInput{States: []types.JobRunState{types.JobRunStatePending, types.JobRunStateRunning}}, nil},
		{"created after", emrcontainers.ListJobRunsInput{CreatedAfter: aws.Time(midRuns)}, runs[:2]},
		{"created before", emrcontainers.ListJobRunsInput{CreatedBefore: aws.Time(midRuns)}, runs[2:]},
		{"named x, created after", emrcontainers.ListJobRunsInput{Name: aws.String("x"), CreatedAfter: aws.Time(midRuns)}, runs[:1]},
	} {
		in := tc.in
		in.VirtualClusterId, in.MaxResults = aws.String(a), one
		if got := pageRuns(t, c, &in); !slices.Equal(got, tc.want) {
			t.Errorf("ListJobRuns %s: %v, want %v", tc.name, got, tc.want)
		}
	}
}

// A nextToken is taken back only by the listing and query that handed it
// out, and survives a restart of the server; a tampered one is a clean
// ValidationException.
func TestNextTokens(t *testing.T) {
	dir := t.TempDir()
	s := startServer(t, dir)
	c := s.Client
	ctx := context.Background()
	a, b := createVC(t, c, "a", "a"), createVC(t, c, "b", "b")
	for range 2 {
		for _, vc := range []string{a, b} {
			startJob(t, c, vc, "x", missingEntryPoint, "")
		}
		createTemplate(t, c, piTemplate("t"))
	}
	one := aws.Int32(1)
	vcPage, err := c.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{MaxResults: one})
	if err != nil || vcPage.NextToken == nil {
		t.Fatalf("ListVirtualClusters: %v", err)
	}
	runPage, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(a), Name: aws.String("x"), MaxResults: one})
	if err != nil || runPage.NextToken == nil {
		t.Fatalf("ListJobRuns: %v", err)
	}
	tmplPage, err := c.ListJobTemplates(ctx, &emrcontainers.ListJobTemplatesInput{MaxResults: one})
	if err != nil || tmplPage.NextToken == nil {
		t.Fatalf("ListJobTemplates: %v", err)
	}
	vcToken, runToken, tmplToken := vcPage.NextToken, runPage.NextToken, tmplPage.NextToken
	tampered := []byte(*runToken)
	tampered[len(tampered)/2] ^= 1
	runs := func(mod func(*emrcontainers.ListJobRunsInput)) func() error {
		return func() error {
			in := &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(a), Name: aws.String("x"), NextToken: runToken}
			mod(in)
			_, err := c.ListJobRuns(ctx, in)
			return err
		}
	}
	runErrorCases(t, []errorCase{
		{"virtual clusters' token for job runs", runs(func(in *emrcontainers.ListJobRunsInput) { in.NextToken = vcToken }), "ValidationException", "nextToken"},
		{"templates' token for virtual clusters", func() error {
			_, err := c.ListVirtualClusters(ctx, &emrcontainers.ListVirtualClustersInput{NextToken: tmplToken})
			return err
		}, "ValidationException", "nextToken"},
		{"job runs' token for templates", func() error {
			_, err := c.ListJobTemplates(ctx, &emrcontainers.ListJobTemplatesInput{NextToken: runToken})
			return err
		}, "ValidationException", "nextToken"},
		{"another virtual cluster", runs(func(in *emrcontainers.ListJobRunsInput) { in.VirtualClusterId = aws.String(b) }), "ValidationException", "nextToken"},
		{"another name", runs(func(in *emrcontainers.ListJobRunsInput) { in.Name = aws.String("y") }), "ValidationException", "nextToken"},
		{"no name", runs(func(in *emrcontainers.ListJobRunsInput) { in.Name = nil }), "ValidationException", "nextToken"},
		{"a states filter added", runs(func(in *emrcontainers.ListJobRunsInput) {
			in.States = []types.JobRunState{types.JobRunStateFailed}
		}), "ValidationException", "nextToken"},
		{"a time filter added", runs(func(in *emrcontainers.ListJobRunsInput) { in.CreatedAfter = aws.Time(time.Unix(0, 0)) }),
			"ValidationException", "nextToken"},
		{"tampered", runs(func(in *emrcontainers.ListJobRunsInput) { in.NextToken = aws.String(string(tampered)) }), "ValidationException", "nextToken"},
		{"garbage", runs(func(in *emrcontainers.ListJobRunsInput) { in.NextToken = aws.String(strings.Repeat("\u00e9", 300)) }),
			"ValidationException", "nextToken"},
	})

	// The same query takes it, with another page size, before and after a restart.
	for round := range 2 {
		if round == 1 {
			s.Stop()
			s = startServer(t, dir)
			c = s.Client
		}
		next, err := c.ListJobRuns(ctx, &emrcontainers.ListJobRunsInput{VirtualClusterId: aws.String(a), Name: aws.String("x"),
			NextToken: runToken, MaxResults: aws.Int32(10)})
		if err != nil || len(next.JobRuns) != 1 || next.NextToken != nil {
			t.Fatalf("round %d: second page: %v", round, err)
		}
		if next.JobRuns[0].Id == runPage.JobRuns[0].Id {
			t.Errorf("round %d: the second page repeats the first", round)
		}
	}
}
