package metrics

import (
	"context"
	"errors"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Store is a store.Store whose operations are timed into
// sparkplane_store_operation_duration_seconds and whose failures are
// counted in sparkplane_store_errors_total, by operation (the method's
// name). Usage, a stream read as it is ranged over, is passed through.
type Store struct {
	store.Store
	m *Metrics
	// ops are the observers of each operation, looked up once.
	ops map[string]storeOp
}

type storeOp struct {
	duration prometheus.Observer
	errors   prometheus.Counter
}

// Store returns st timed by m.
func (m *Metrics) Store(st store.Store) *Store {
	s := &Store{Store: st, m: m, ops: map[string]storeOp{}}
	for _, op := range storeOps {
		s.ops[op] = storeOp{duration: m.storeDuration.WithLabelValues(op), errors: m.storeErrors.WithLabelValues(op)}
	}
	return s
}

var _ store.Store = (*Store)(nil)

// observe records operation op, started at start, that ended with *err.
func (s *Store) observe(op string, start time.Time, err *error) {
	o := s.ops[op]
	o.duration.Observe(time.Since(start).Seconds())
	if *err != nil && !expected(*err) {
		o.errors.Inc()
	}
}

// expected says whether err is an answer of the store (not found, a
// conflict…) rather than a failure of it.
func expected(err error) bool {
	for _, e := range []error{store.ErrNotFound, store.ErrConflict, store.ErrTokenMismatch, store.ErrTooManyTags,
		store.ErrQueueFull, store.ErrInvalidToken, cost.ErrInvalidUsage, context.Canceled} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

// CreateVirtualCluster implements store.Store, timed.
func (s *Store) CreateVirtualCluster(ctx context.Context, vc *emr.VirtualCluster, idem store.Idempotency) (out *emr.VirtualCluster, err error) {
	defer s.observe("CreateVirtualCluster", time.Now(), &err)
	return s.Store.CreateVirtualCluster(ctx, vc, idem)
}

// GetVirtualCluster implements store.Store, timed.
func (s *Store) GetVirtualCluster(ctx context.Context, id string) (out *emr.VirtualCluster, err error) {
	defer s.observe("GetVirtualCluster", time.Now(), &err)
	return s.Store.GetVirtualCluster(ctx, id)
}

// ListVirtualClusters implements store.Store, timed.
func (s *Store) ListVirtualClusters(ctx context.Context, f store.VirtualClusterFilter, p store.Page) (out []*emr.VirtualCluster, next string, err error) {
	defer s.observe("ListVirtualClusters", time.Now(), &err)
	return s.Store.ListVirtualClusters(ctx, f, p)
}

// SetVirtualClusterState implements store.Store, timed.
func (s *Store) SetVirtualClusterState(ctx context.Context, id string, state emr.VirtualClusterState) (err error) {
	defer s.observe("SetVirtualClusterState", time.Now(), &err)
	return s.Store.SetVirtualClusterState(ctx, id, state)
}

// SetVirtualClusterScheduler implements store.Store, timed.
func (s *Store) SetVirtualClusterScheduler(ctx context.Context, id string, cfg *emr.SchedulerConfiguration) (out *emr.VirtualCluster, err error) {
	defer s.observe("SetVirtualClusterScheduler", time.Now(), &err)
	return s.Store.SetVirtualClusterScheduler(ctx, id, cfg)
}

// CreateJobRun implements store.Store, timed.
func (s *Store) CreateJobRun(ctx context.Context, run *emr.JobRun, idem store.Idempotency) (out *emr.JobRun, err error) {
	defer s.observe("CreateJobRun", time.Now(), &err)
	return s.Store.CreateJobRun(ctx, run, idem)
}

// GetJobRun implements store.Store, timed.
func (s *Store) GetJobRun(ctx context.Context, virtualClusterID, id string) (out *emr.JobRun, err error) {
	defer s.observe("GetJobRun", time.Now(), &err)
	return s.Store.GetJobRun(ctx, virtualClusterID, id)
}

// ListJobRuns implements store.Store, timed.
func (s *Store) ListJobRuns(ctx context.Context, f store.JobRunFilter, p store.Page) (out []*emr.JobRun, next string, err error) {
	defer s.observe("ListJobRuns", time.Now(), &err)
	return s.Store.ListJobRuns(ctx, f, p)
}

// ActiveJobRuns implements store.Store, timed.
func (s *Store) ActiveJobRuns(ctx context.Context) (out []*emr.JobRun, err error) {
	defer s.observe("ActiveJobRuns", time.Now(), &err)
	return s.Store.ActiveJobRuns(ctx)
}

// CountJobRuns implements store.Store, timed.
func (s *Store) CountJobRuns(ctx context.Context, virtualClusterID string, states ...emr.JobRunState) (n int, err error) {
	defer s.observe("CountJobRuns", time.Now(), &err)
	return s.Store.CountJobRuns(ctx, virtualClusterID, states...)
}

// PendingJobRuns implements store.Store, timed.
func (s *Store) PendingJobRuns(ctx context.Context, virtualClusterID string, limit int) (out []*emr.JobRun, err error) {
	defer s.observe("PendingJobRuns", time.Now(), &err)
	return s.Store.PendingJobRuns(ctx, virtualClusterID, limit)
}

// UpdateJobRun implements store.Store, timed.
func (s *Store) UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) (err error) {
	defer s.observe("UpdateJobRun", time.Now(), &err)
	return s.Store.UpdateJobRun(ctx, run, from)
}

// RequestJobRunCancel implements store.Store, timed.
func (s *Store) RequestJobRunCancel(ctx context.Context, virtualClusterID, id string, at time.Time) (out *emr.JobRun, err error) {
	defer s.observe("RequestJobRunCancel", time.Now(), &err)
	return s.Store.RequestJobRunCancel(ctx, virtualClusterID, id, at)
}

// JobRunsInStates implements store.Store, timed.
func (s *Store) JobRunsInStates(ctx context.Context, states []emr.JobRunState, afterID string, limit int) (out []*emr.JobRun, err error) {
	defer s.observe("JobRunsInStates", time.Now(), &err)
	return s.Store.JobRunsInStates(ctx, states, afterID, limit)
}

// CancelRequestedJobRuns implements store.Store, timed.
func (s *Store) CancelRequestedJobRuns(ctx context.Context, afterID string, limit int) (out []*emr.JobRun, err error) {
	defer s.observe("CancelRequestedJobRuns", time.Now(), &err)
	return s.Store.CancelRequestedJobRuns(ctx, afterID, limit)
}

// JobRunCounts implements store.Store, timed.
func (s *Store) JobRunCounts(ctx context.Context) (out []store.JobRunCount, err error) {
	defer s.observe("JobRunCounts", time.Now(), &err)
	return s.Store.JobRunCounts(ctx)
}

// QueuedVirtualClusters implements store.Store, timed.
func (s *Store) QueuedVirtualClusters(ctx context.Context) (out []string, err error) {
	defer s.observe("QueuedVirtualClusters", time.Now(), &err)
	return s.Store.QueuedVirtualClusters(ctx)
}

// CreateJobTemplate implements store.Store, timed.
func (s *Store) CreateJobTemplate(ctx context.Context, t *emr.JobTemplate, idem store.Idempotency) (out *emr.JobTemplate, err error) {
	defer s.observe("CreateJobTemplate", time.Now(), &err)
	return s.Store.CreateJobTemplate(ctx, t, idem)
}

// GetJobTemplate implements store.Store, timed.
func (s *Store) GetJobTemplate(ctx context.Context, id string) (out *emr.JobTemplate, err error) {
	defer s.observe("GetJobTemplate", time.Now(), &err)
	return s.Store.GetJobTemplate(ctx, id)
}

// ListJobTemplates implements store.Store, timed.
func (s *Store) ListJobTemplates(ctx context.Context, f store.JobTemplateFilter, p store.Page) (out []*emr.JobTemplate, next string, err error) {
	defer s.observe("ListJobTemplates", time.Now(), &err)
	return s.Store.ListJobTemplates(ctx, f, p)
}

// DeleteJobTemplate implements store.Store, timed.
func (s *Store) DeleteJobTemplate(ctx context.Context, id string) (err error) {
	defer s.observe("DeleteJobTemplate", time.Now(), &err)
	return s.Store.DeleteJobTemplate(ctx, id)
}

// CreateSecurityConfiguration implements store.Store, timed.
func (s *Store) CreateSecurityConfiguration(ctx context.Context, sc *emr.SecurityConfiguration, idem store.Idempotency) (out *emr.SecurityConfiguration, err error) {
	defer s.observe("CreateSecurityConfiguration", time.Now(), &err)
	return s.Store.CreateSecurityConfiguration(ctx, sc, idem)
}

// GetSecurityConfiguration implements store.Store, timed.
func (s *Store) GetSecurityConfiguration(ctx context.Context, id string) (out *emr.SecurityConfiguration, err error) {
	defer s.observe("GetSecurityConfiguration", time.Now(), &err)
	return s.Store.GetSecurityConfiguration(ctx, id)
}

// ListSecurityConfigurations implements store.Store, timed.
func (s *Store) ListSecurityConfigurations(ctx context.Context, f store.SecurityConfigurationFilter, p store.Page) (out []*emr.SecurityConfiguration, next string, err error) {
	defer s.observe("ListSecurityConfigurations", time.Now(), &err)
	return s.Store.ListSecurityConfigurations(ctx, f, p)
}

// DeleteSecurityConfiguration implements store.Store, timed.
func (s *Store) DeleteSecurityConfiguration(ctx context.Context, id string) (err error) {
	defer s.observe("DeleteSecurityConfiguration", time.Now(), &err)
	return s.Store.DeleteSecurityConfiguration(ctx, id)
}

// CreateManagedEndpoint implements store.Store, timed.
func (s *Store) CreateManagedEndpoint(ctx context.Context, e *emr.Endpoint, idem store.Idempotency) (out *emr.Endpoint, err error) {
	defer s.observe("CreateManagedEndpoint", time.Now(), &err)
	return s.Store.CreateManagedEndpoint(ctx, e, idem)
}

// GetManagedEndpoint implements store.Store, timed.
func (s *Store) GetManagedEndpoint(ctx context.Context, virtualClusterID, id string) (out *emr.Endpoint, err error) {
	defer s.observe("GetManagedEndpoint", time.Now(), &err)
	return s.Store.GetManagedEndpoint(ctx, virtualClusterID, id)
}

// ListManagedEndpoints implements store.Store, timed.
func (s *Store) ListManagedEndpoints(ctx context.Context, f store.ManagedEndpointFilter, p store.Page) (out []*emr.Endpoint, next string, err error) {
	defer s.observe("ListManagedEndpoints", time.Now(), &err)
	return s.Store.ListManagedEndpoints(ctx, f, p)
}

// UpdateManagedEndpoint implements store.Store, timed.
func (s *Store) UpdateManagedEndpoint(ctx context.Context, e *emr.Endpoint, from emr.EndpointState) (err error) {
	defer s.observe("UpdateManagedEndpoint", time.Now(), &err)
	return s.Store.UpdateManagedEndpoint(ctx, e, from)
}

// Tags implements store.Store, timed.
func (s *Store) Tags(ctx context.Context, r emr.ResourceRef) (out map[string]string, err error) {
	defer s.observe("Tags", time.Now(), &err)
	return s.Store.Tags(ctx, r)
}

// TagResource implements store.Store, timed.
func (s *Store) TagResource(ctx context.Context, r emr.ResourceRef, tags map[string]string) (err error) {
	defer s.observe("TagResource", time.Now(), &err)
	return s.Store.TagResource(ctx, r, tags)
}

// UntagResource implements store.Store, timed.
func (s *Store) UntagResource(ctx context.Context, r emr.ResourceRef, keys []string) (err error) {
	defer s.observe("UntagResource", time.Now(), &err)
	return s.Store.UntagResource(ctx, r, keys)
}

// AcquireLease implements store.Store, timed.
func (s *Store) AcquireLease(ctx context.Context, name, owner string, ttl time.Duration) (ok bool, err error) {
	defer s.observe("AcquireLease", time.Now(), &err)
	return s.Store.AcquireLease(ctx, name, owner, ttl)
}

// RenewLeases implements store.Store, timed.
func (s *Store) RenewLeases(ctx context.Context, owner string, ttl time.Duration) (out []string, err error) {
	defer s.observe("RenewLeases", time.Now(), &err)
	return s.Store.RenewLeases(ctx, owner, ttl)
}

// ReleaseLeases implements store.Store, timed.
func (s *Store) ReleaseLeases(ctx context.Context, owner string, names ...string) (err error) {
	defer s.observe("ReleaseLeases", time.Now(), &err)
	return s.Store.ReleaseLeases(ctx, owner, names...)
}

// PutJobRunLog implements store.Store, timed.
func (s *Store) PutJobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string, data []byte) (err error) {
	defer s.observe("PutJobRunLog", time.Now(), &err)
	return s.Store.PutJobRunLog(ctx, virtualClusterID, jobRunID, attempt, stream, data)
}

// JobRunLog implements store.Store, timed.
func (s *Store) JobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string) (out []byte, err error) {
	defer s.observe("JobRunLog", time.Now(), &err)
	return s.Store.JobRunLog(ctx, virtualClusterID, jobRunID, attempt, stream)
}

// RecordUsage implements store.Store, timed.
func (s *Store) RecordUsage(ctx context.Context, u cost.Usage) (err error) {
	defer s.observe("RecordUsage", time.Now(), &err)
	return s.Store.RecordUsage(ctx, u)
}

// RecordNode implements store.Store, timed.
func (s *Store) RecordNode(ctx context.Context, n cost.Node) (err error) {
	defer s.observe("RecordNode", time.Now(), &err)
	return s.Store.RecordNode(ctx, n)
}

// Nodes implements store.Store, timed.
func (s *Store) Nodes(ctx context.Context, from, to time.Time) (out []cost.Node, err error) {
	defer s.observe("Nodes", time.Now(), &err)
	return s.Store.Nodes(ctx, from, to)
}

// ReadMetering implements store.Store, timed.
func (s *Store) ReadMetering(ctx context.Context, read func(cost.Source) error) (err error) {
	defer s.observe("ReadMetering", time.Now(), &err)
	return s.Store.ReadMetering(ctx, read)
}

// storeOps are the operations Store times.
var storeOps = []string{
	"CreateVirtualCluster",
	"GetVirtualCluster",
	"ListVirtualClusters",
	"SetVirtualClusterState",
	"SetVirtualClusterScheduler",
	"CreateJobRun",
	"GetJobRun",
	"ListJobRuns",
	"ActiveJobRuns",
	"CountJobRuns",
	"PendingJobRuns",
	"UpdateJobRun",
	"RequestJobRunCancel",
	"JobRunsInStates",
	"CancelRequestedJobRuns",
	"JobRunCounts",
	"QueuedVirtualClusters",
	"CreateJobTemplate",
	"GetJobTemplate",
	"ListJobTemplates",
	"DeleteJobTemplate",
	"CreateSecurityConfiguration",
	"GetSecurityConfiguration",
	"ListSecurityConfigurations",
	"DeleteSecurityConfiguration",
	"CreateManagedEndpoint",
	"GetManagedEndpoint",
	"ListManagedEndpoints",
	"UpdateManagedEndpoint",
	"Tags",
	"TagResource",
	"UntagResource",
	"AcquireLease",
	"RenewLeases",
	"ReleaseLeases",
	"PutJobRunLog",
	"JobRunLog",
	"RecordUsage",
	"RecordNode",
	"Nodes",
	"ReadMetering",
}
