// Package storetest is the conformance suite of store.Store: one set of
// tests that every implementation must pass, so that the API and the
// controller behave the same whichever store keeps their state.
//
// An implementation's tests call Run with a function that opens a new,
// empty store:
//
//	func TestConformance(t *testing.T) {
//		storetest.Run(t, func(t *testing.T) store.Store {
//			db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "db"))
//			...
//			return db
//		})
//	}
package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Run runs the suite. Each subtest calls open once, possibly in parallel
// with other subtests, and closes the store it gets when it ends, checking
// that Close succeeds; open must not close it itself.
func Run(t *testing.T, open func(t *testing.T) store.Store) {
	t.Helper()
	group := func(name string, tests []subtest) {
		t.Run(name, func(t *testing.T) {
			for _, st := range tests {
				t.Run(st.name, func(t *testing.T) {
					t.Parallel()
					s := open(t)
					t.Cleanup(func() {
						if err := s.Close(); err != nil {
							t.Errorf("Close() = %v", err)
						}
					})
					st.run(t, s)
				})
			}
		})
	}
	group("VirtualClusters", virtualClusterTests)
	group("JobRuns", jobRunTests)
	group("ClientTokens", clientTokenTests)
	group("JobTemplates", jobTemplateTests)
	group("SecurityConfigurations", securityConfigurationTests)
	group("ManagedEndpoints", endpointTests)
	group("Tags", tagTests)
	group("Paging", pagingTests)
	group("PageTokens", tokenTests)
	group("Leases", leaseTests)
	group("Metering", meteringTests)
	group("Rollups", rollupTests)
	group("JobQueue", jobQueueTests)
	group("JobRunCounts", jobRunCountTests)
	group("Logs", logTests)
	group("Events", eventTests)
	group("Ping", pingTests)
	group("Retention", retentionTests)
	t.Run("PageTokens/OfAnotherStore", func(t *testing.T) {
		t.Parallel()
		testTokensOfAnotherStore(t, open)
	})
}

type subtest struct {
	name string
	run  func(t *testing.T, s store.Store)
}

// Epoch is the creation time the suite's resources start from: whole
// milliseconds in UTC, as the API hands them to the store.
var Epoch = time.Date(2026, 4, 1, 12, 0, 0, 0, time.UTC)

// secs is n seconds after Epoch.
func secs(n int) time.Time { return Epoch.Add(time.Duration(n) * time.Second) }

var partition = emr.Partition{Partition: "aws", Region: "us-east-1", Account: "123456789012"}

// NewVirtualCluster returns a RUNNING virtual cluster with a new id on
// namespace ns of EKS cluster provider.
func NewVirtualCluster(provider, ns string, createdAt time.Time) *emr.VirtualCluster {
	id := emr.NewResourceID()
	return &emr.VirtualCluster{
		ID:    id,
		Name:  "vc-" + ns,
		ARN:   partition.VirtualClusterARN(id),
		State: emr.VirtualClusterRunning,
		ContainerProvider: emr.ContainerProvider{
			Type: emr.ContainerProviderEKS,
			ID:   provider,
			Info: &emr.ContainerInfo{EKSInfo: &emr.EKSInfo{Namespace: ns}},
		},
		CreatedAt: createdAt,
		Tags:      map[string]string{"team": "data"},
	}
}

// NewJobRun returns a PENDING job run of virtual cluster vcID, its id from
// ids at createdAt, with every field of the model set.
func NewJobRun(ids *emr.JobRunIDs, vcID, name string, createdAt time.Time) *emr.JobRun {
	id := ids.Next(createdAt)
	return &emr.JobRun{
		ID:               id,
		Name:             name,
		VirtualClusterID: vcID,
		ARN:              partition.JobRunARN(vcID, id),
		State:            emr.JobRunPending,
		ClientToken:      "token-" + id,
		ExecutionRoleARN: "arn:aws:iam::123456789012:role/EMRJobRole",
		ReleaseLabel:     "emr-7.2.0-latest",
		JobDriver: &emr.JobDriver{SparkSubmitJobDriver: &emr.SparkSubmitJobDriver{
			EntryPoint:            "local:///usr/lib/spark/examples/src/main/python/pi.py",
			EntryPointArguments:   []string{"10"},
			SparkSubmitParameters: "--conf spark.executor.instances=2",
		}},
		ConfigurationOverrides: &emr.ConfigurationOverrides{
			ApplicationConfiguration: []emr.Configuration{{
				Classification: "spark-defaults",
				Properties:     map[string]string{"spark.driver.memory": "2G"},
			}},
			MonitoringConfiguration: &emr.MonitoringConfiguration{
				S3MonitoringConfiguration: &emr.S3MonitoringConfiguration{LogURI: "s3://bucket/logs/"},
			},
		},
		CreatedAt:                createdAt,
		CreatedBy:                "arn:aws:iam::123456789012:user/alice",
		Tags:                     map[string]string{"team": "data"},
		RetryPolicyConfiguration: &emr.RetryPolicyConfiguration{MaxAttempts: 2},
		RetryPolicyExecution:     &emr.RetryPolicyExecution{CurrentAttemptCount: 1},
	}
}

// NoIdempotency is a create request without a clientToken.
var NoIdempotency = store.Idempotency{}

// mustCreate stores v through create (s.CreateJobRun, …), without a
// clientToken, and fails the test unless it succeeds and returns v.
func mustCreate[T resource](tb testing.TB, create func(context.Context, T, store.Idempotency) (T, error), v T) T {
	tb.Helper()
	got, err := create(tb.Context(), v, NoIdempotency)
	if err != nil {
		tb.Fatalf("create %s error = %v", ids([]T{v})[0], err)
	}
	MustEqual(tb, got, v)
	return got
}

// MustCreateVirtualCluster stores vc and fails the test on error.
func MustCreateVirtualCluster(tb testing.TB, s store.Store, vc *emr.VirtualCluster) *emr.VirtualCluster {
	tb.Helper()
	return mustCreate(tb, s.CreateVirtualCluster, vc)
}

// MustCreateJobRun stores run and fails the test on error.
func MustCreateJobRun(tb testing.TB, s store.Store, run *emr.JobRun) *emr.JobRun {
	tb.Helper()
	return mustCreate(tb, s.CreateJobRun, run)
}

// MustGetJobRun reads a job run and fails the test on error.
func MustGetJobRun(tb testing.TB, s store.Store, vcID, id string) *emr.JobRun {
	tb.Helper()
	run, err := s.GetJobRun(tb.Context(), vcID, id)
	if err != nil {
		tb.Fatalf("GetJobRun(%s, %s) error = %v", vcID, id, err)
	}
	return run
}

// MustEqual fails unless got and want encode to the same JSON, which is
// what API clients see of them.
func MustEqual(tb testing.TB, got, want any) {
	tb.Helper()
	g, err := json.Marshal(got)
	must(tb, err)
	w, err := json.Marshal(want)
	must(tb, err)
	if string(g) != string(w) {
		tb.Fatalf("got  %s\nwant %s", g, w)
	}
}

// MustBe fails unless errors.Is(err, target).
func MustBe(tb testing.TB, err, target error) {
	tb.Helper()
	if !errors.Is(err, target) {
		tb.Fatalf("error = %v, want %v", err, target)
	}
}

// resource is what the store lists.
type resource interface {
	*emr.VirtualCluster | *emr.JobRun | *emr.JobTemplate | *emr.SecurityConfiguration | *emr.Endpoint
}

// ids returns the ids of resources, in order.
func ids[T resource](items []T) []string {
	out := make([]string, len(items))
	for i, it := range items {
		switch v := any(it).(type) {
		case *emr.VirtualCluster:
			out[i] = v.ID
		case *emr.JobRun:
			out[i] = v.ID
		case *emr.JobTemplate:
			out[i] = v.ID
		case *emr.SecurityConfiguration:
			out[i] = v.ID
		case *emr.Endpoint:
			out[i] = v.ID
		}
	}
	return out
}

func sameIDs(got, want []string) error {
	if len(got) != len(want) {
		return fmt.Errorf("got %d items %v, want %d %v", len(got), got, len(want), want)
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Errorf("item %d = %s, want %s (got %v, want %v)", i, got[i], want[i], got, want)
		}
	}
	return nil
}

// must fails the test on error.
func must(tb testing.TB, err error) {
	tb.Helper()
	if err != nil {
		tb.Fatal(err)
	}
}
