package emr_test

import (
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
)

var (
	reResourceID = regexp.MustCompile(`^[0-9a-z]{25}$`)
	reJobRunID   = regexp.MustCompile(`^[0-9a-z]{19}$`)
	// The model's patterns for VirtualClusterArn and JobArn (Appendix B).
	reVCARN  = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):emr-containers:.+:(\d{12}):\/virtualclusters\/[0-9a-zA-Z]+$`)
	reRunARN = regexp.MustCompile(`^arn:(aws[a-zA-Z0-9-]*):emr-containers:.+:(\d{12}):\/virtualclusters\/[0-9a-zA-Z]+\/jobruns\/[0-9a-zA-Z]+$`)
)

func TestNewResourceID(t *testing.T) {
	t.Parallel()
	seen := make(map[string]bool)
	for range 2000 {
		id := emr.NewResourceID()
		if !reResourceID.MatchString(id) {
			t.Fatalf("NewResourceID() = %q, want 25 lowercase base36 characters", id)
		}
		if seen[id] {
			t.Fatalf("NewResourceID() repeated %q", id)
		}
		seen[id] = true
	}
}

// MustIncrease fails unless every id is a 19-character base36 job run id
// and each one sorts after the one before it.
func MustIncrease(tb testing.TB, ids []string) {
	tb.Helper()
	for i, id := range ids {
		if !reJobRunID.MatchString(id) {
			tb.Fatalf("id %d = %q, want 19 lowercase base36 characters", i, id)
		}
		if i > 0 && id <= ids[i-1] {
			tb.Fatalf("id %d = %q does not sort after id %d = %q", i, id, i-1, ids[i-1])
		}
	}
}

func TestJobRunIDsNext(t *testing.T) {
	t.Parallel()
	base := time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		at   func(i int) time.Time // the clock at call i
	}{
		{"clock advances", func(i int) time.Time { return base.Add(time.Duration(i) * time.Millisecond) }},
		{"clock stands still", func(int) time.Time { return base }},
		{"clock goes back", func(i int) time.Time { return base.Add(-time.Duration(i) * time.Second) }},
		{"clock jumps around", func(i int) time.Time { return base.Add(time.Duration((i*7919)%1000-500) * time.Millisecond) }},
		{"before 1970", func(i int) time.Time { return time.Unix(-1000, 0).Add(time.Duration(i) * time.Millisecond) }},
		{"zero time", func(int) time.Time { return time.Time{} }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var g emr.JobRunIDs
			ids := make([]string, 5000)
			for i := range ids {
				ids[i] = g.Next(tc.at(i))
			}
			MustIncrease(t, ids)
		})
	}
}

// Ids from separate generators (two servers, or a restart) still order by
// time once the clocks are a millisecond apart.
func TestJobRunIDsOrderByTimeAcrossGenerators(t *testing.T) {
	t.Parallel()
	t0 := time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	for i := range 200 {
		var g emr.JobRunIDs // a fresh generator each time
		ids = append(ids, g.Next(t0.Add(time.Duration(i)*time.Millisecond)))
	}
	MustIncrease(t, ids)
}

func TestJobRunIDsConcurrent(t *testing.T) {
	t.Parallel()
	const workers, each = 16, 500
	var (
		g   emr.JobRunIDs
		wg  sync.WaitGroup
		out = make([][]string, workers)
		now = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	)
	for w := range workers {
		wg.Go(func() {
			for range each {
				out[w] = append(out[w], g.Next(now))
			}
		})
	}
	wg.Wait()
	seen := make(map[string]bool, workers*each)
	for w, ids := range out {
		MustIncrease(t, ids) // each caller sees its own ids increase
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("worker %d got duplicate id %q", w, id)
			}
			seen[id] = true
		}
	}
}

func TestBase36(t *testing.T) {
	t.Parallel()
	tests := []struct{ in, want string }{
		// aws-cli's unit-test vectors (reference §5.2).
		{"abcdefghijkl", "2x6xx5ubcrus4bplmr0"},
		{"+=,.@-_", "3bu5b0xg4tb"},
		{"", "0"},
		{"JobExecutionRoleIRSAv2", "c7ohmynrs14q04uudoef8n97xdufwajzua"},
		{"\x00", "0"},
		{"\x01", "1"},
		{"#", "z"}, // 0x23 = 35
		{"$", "10"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			t.Parallel()
			if got := emr.Base36(tc.in); got != tc.want {
				t.Errorf("Base36(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestARNs(t *testing.T) {
	t.Parallel()
	const vc, run = "jk518skp01ys9ka8b0npx9nt0", "0000000337okspsc913"
	tests := []struct {
		name string
		p    emr.Partition
		got  func(emr.Partition) string
		want string
		re   *regexp.Regexp
	}{
		{
			name: "virtual cluster",
			p:    emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
			got:  func(p emr.Partition) string { return p.VirtualClusterARN(vc) },
			want: "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/" + vc,
			re:   reVCARN,
		},
		{
			name: "job run",
			p:    emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"},
			got:  func(p emr.Partition) string { return p.JobRunARN(vc, run) },
			want: "arn:aws:emr-containers:us-east-1:123456789012:/virtualclusters/" + vc + "/jobruns/" + run,
			re:   reRunARN,
		},
		{
			name: "other partition",
			p:    emr.Partition{Partition: "aws-cn", Region: "cn-north-1", Account: "000000000000"},
			got:  func(p emr.Partition) string { return p.JobRunARN(vc, run) },
			want: "arn:aws-cn:emr-containers:cn-north-1:000000000000:/virtualclusters/" + vc + "/jobruns/" + run,
			re:   reRunARN,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.got(tc.p)
			if got != tc.want {
				t.Errorf("ARN = %q, want %q", got, tc.want)
			}
			if !tc.re.MatchString(got) || len(got) < 60 || len(got) > 1024 {
				t.Errorf("ARN %q does not satisfy the model's pattern and length 60..1024", got)
			}
		})
	}
}
