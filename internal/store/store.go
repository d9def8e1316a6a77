// Package store declares how sparkplane keeps its state: the Store interface
// that the API and the controller use, its errors, list filters and
// leases. The implementation, sqlstore, is written once over database/sql;
// the sub-packages sqlite, the embedded default, and postgres, for several
// servers on one database, open it on their engine. storetest is the
// conformance suite both pass.
package store

import (
	"context"
	"errors"
	"fmt"
	"iter"
	"time"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
)

var (
	// ErrNotFound: no such resource.
	ErrNotFound = errors.New("not found")
	// ErrConflict: a unique constraint or an expected state did not hold.
	ErrConflict = errors.New("conflict")
	// ErrTokenMismatch: a clientToken was reused with a different request.
	ErrTokenMismatch = errors.New("client token reused with a different request")
	// ErrTooManyTags: a resource would have more than emr.MaxTags tags.
	ErrTooManyTags = errors.New("too many tags")
)

// Idempotency identifies a create request for replay: Scope is the
// operation and its parent (e.g. "StartJobRun/<vcID>"), Token the
// clientToken, and Hash a digest of the request.
type Idempotency struct {
	Scope, Token, Hash string
}

// Page bounds a listing: at most Limit items after the cursor Token (a
// nextToken of the same listing and query), or every item after it when
// Limit <= 0. Listings are newest first (by
// createdAt, then id, both descending); paging neither skips nor repeats an
// item when others are created between pages.
//
// MaxBytes, when > 0, also bounds a page by size: once the stored
// documents of its items add up to more than MaxBytes, the page ends there
// with a next page token (a page has at least one item, however large).
type Page struct {
	Limit    int
	Token    string // opaque; "" for the first page
	MaxBytes int
}

// VirtualClusterFilter selects virtual clusters; zero fields match all.
// CreatedAfter and CreatedBefore are inclusive, to the millisecond.
type VirtualClusterFilter struct {
	States        []emr.VirtualClusterState
	ProviderID    string
	CreatedAfter  time.Time
	CreatedBefore time.Time
	// SecurityConfigurationID selects the clusters that use it.
	SecurityConfigurationID string
}

// JobRunFilter selects the job runs of one virtual cluster; other zero
// fields match all. CreatedAfter and CreatedBefore are inclusive, to the
// millisecond.
type JobRunFilter struct {
	VirtualClusterID string
	States           []emr.JobRunState
	Name             string
	CreatedAfter     time.Time
	CreatedBefore    time.Time
}

// JobTemplateFilter selects job templates; zero fields match all.
// CreatedAfter and CreatedBefore are inclusive, to the millisecond.
type JobTemplateFilter struct {
	CreatedAfter  time.Time
	CreatedBefore time.Time
}

// SecurityConfigurationFilter selects security configurations; zero fields
// match all. CreatedAfter and CreatedBefore are inclusive, to the millisecond.
type SecurityConfigurationFilter struct {
	CreatedAfter  time.Time
	CreatedBefore time.Time
}

// ManagedEndpointFilter selects the managed endpoints of one virtual
// cluster; other zero fields match all. States and Types are or-ed.
type ManagedEndpointFilter struct {
	VirtualClusterID string
	States           []emr.EndpointState
	Types            []string
	CreatedAfter     time.Time
	CreatedBefore    time.Time
}

// Store keeps virtual clusters, job runs, job templates, security
// configurations and managed endpoints. Every method returns ErrNotFound,
// ErrConflict, ErrTokenMismatch or ErrTooManyTags (wrapped) for the
// conditions above, ErrInvalidToken for a page token that this store did
// not hand out for this listing and query (see PageTokens), and other
// errors for failures of the store itself.
type Store interface {
	// CreateVirtualCluster inserts vc, or, when idem names an earlier request
	// with the same hash, returns the virtual cluster that request created.
	// ErrConflict when an active virtual cluster uses the same namespace,
	// ErrNotFound when vc.SecurityConfigurationID names none.
	CreateVirtualCluster(ctx context.Context, vc *emr.VirtualCluster, idem Idempotency) (*emr.VirtualCluster, error)
	GetVirtualCluster(ctx context.Context, id string) (*emr.VirtualCluster, error)
	ListVirtualClusters(ctx context.Context, f VirtualClusterFilter, p Page) ([]*emr.VirtualCluster, string, error)
	// SetVirtualClusterState changes the state of a virtual cluster.
	SetVirtualClusterState(ctx context.Context, id string, state emr.VirtualClusterState) error
	// SetVirtualClusterScheduler replaces the scheduler configuration of a
	// virtual cluster (nil removes every limit) and returns the result.
	SetVirtualClusterScheduler(ctx context.Context, id string, cfg *emr.SchedulerConfiguration) (*emr.VirtualCluster, error)

	// CreateJobRun inserts run (PENDING) if its virtual cluster is RUNNING,
	// or replays an earlier request with the same idempotency token (before
	// any other check). ErrNotFound when the virtual cluster does not exist,
	// ErrConflict when it is not RUNNING, a *QueueFullError (ErrQueueFull)
	// when its maxInQueueJobRuns is set and it already has that many runs
	// PENDING or SUBMITTED: counted in the transaction of the insert, so
	// concurrent requests never exceed the limit.
	CreateJobRun(ctx context.Context, run *emr.JobRun, idem Idempotency) (*emr.JobRun, error)
	GetJobRun(ctx context.Context, virtualClusterID, id string) (*emr.JobRun, error)
	ListJobRuns(ctx context.Context, f JobRunFilter, p Page) ([]*emr.JobRun, string, error)
	// ActiveJobRuns returns every run that is not in a terminal state.
	ActiveJobRuns(ctx context.Context) ([]*emr.JobRun, error)
	// CountJobRuns counts the runs of a virtual cluster in the given states.
	CountJobRuns(ctx context.Context, virtualClusterID string, states ...emr.JobRunState) (int, error)
	// PendingJobRuns returns the oldest PENDING runs of a virtual cluster,
	// oldest first, at most limit: the head of its queue.
	PendingJobRuns(ctx context.Context, virtualClusterID string, limit int) ([]*emr.JobRun, error)
	// UpdateJobRun writes run (all but its tags and cancel request) if its
	// stored state is still from; ErrConflict otherwise. In the same
	// transaction it appends an event (see Events) for each state change
	// in run.Changes (or, when there are none, for the change from from to
	// run.State, if any), and clears run.Changes once written.
	UpdateJobRun(ctx context.Context, run *emr.JobRun, from emr.JobRunState) error
	// RequestJobRunCancel records that CancelJobRun asked, at at, for a run
	// to stop, and returns the run as stored, CancelRequestedAt set. A second
	// request keeps the time of the first. The request is kept apart from
	// the rest of the run (UpdateJobRun never clears it), and every read of
	// a run fills CancelRequestedAt. ErrNotFound when there is no such run,
	// ErrConflict when it is COMPLETED, FAILED or CANCELLED.
	RequestJobRunCancel(ctx context.Context, virtualClusterID, id string, at time.Time) (*emr.JobRun, error)
	// JobRunsInStates returns the runs, of every virtual cluster, in any of
	// states whose ids are after afterID, by id, at most limit: a page of
	// the controller's resync ("" for the first; job-run ids are unique
	// across clusters and ordered by creation).
	JobRunsInStates(ctx context.Context, states []emr.JobRunState, afterID string, limit int) ([]*emr.JobRun, error)
	// CancelRequestedJobRuns returns the runs PENDING, SUBMITTED or RUNNING
	// whose cancel was requested, ids after afterID, by id, at most limit.
	CancelRequestedJobRuns(ctx context.Context, afterID string, limit int) ([]*emr.JobRun, error)
	// JobRunCounts returns how many runs each virtual cluster has in each
	// state it has runs in, by virtual cluster id then state, in one
	// grouped query (for metrics).
	JobRunCounts(ctx context.Context) ([]JobRunCount, error)
	// QueuedVirtualClusters returns the ids of the virtual clusters that
	// have at least one PENDING run, sorted; its cost does not grow with
	// the length of their queues.
	QueuedVirtualClusters(ctx context.Context) ([]string, error)

	// CreateJobTemplate inserts t, or, when idem names an earlier request with
	// the same hash, returns the template that request created (ErrNotFound
	// if it has been deleted since). ErrConflict when the id is taken.
	CreateJobTemplate(ctx context.Context, t *emr.JobTemplate, idem Idempotency) (*emr.JobTemplate, error)
	GetJobTemplate(ctx context.Context, id string) (*emr.JobTemplate, error)
	ListJobTemplates(ctx context.Context, f JobTemplateFilter, p Page) ([]*emr.JobTemplate, string, error)
	// DeleteJobTemplate removes a template for good (runs started from it
	// keep what they took from it). ErrNotFound when there is none.
	DeleteJobTemplate(ctx context.Context, id string) error

	// CreateSecurityConfiguration inserts sc, or replays an earlier request
	// with the same idempotency token (ErrNotFound if what it created has
	// been deleted since). ErrConflict when the id is taken.
	CreateSecurityConfiguration(ctx context.Context, sc *emr.SecurityConfiguration, idem Idempotency) (*emr.SecurityConfiguration, error)
	GetSecurityConfiguration(ctx context.Context, id string) (*emr.SecurityConfiguration, error)
	ListSecurityConfigurations(ctx context.Context, f SecurityConfigurationFilter, p Page) ([]*emr.SecurityConfiguration, string, error)
	// DeleteSecurityConfiguration removes a security configuration.
	// ErrNotFound when there is none, ErrConflict (and no change) while a
	// virtual cluster that is not TERMINATED uses it.
	DeleteSecurityConfiguration(ctx context.Context, id string) error

	// CreateManagedEndpoint inserts e if its virtual cluster is RUNNING, or
	// replays an earlier request with the same idempotency token. ErrNotFound
	// when the virtual cluster does not exist, ErrConflict when it is not
	// RUNNING or the id is taken.
	CreateManagedEndpoint(ctx context.Context, e *emr.Endpoint, idem Idempotency) (*emr.Endpoint, error)
	GetManagedEndpoint(ctx context.Context, virtualClusterID, id string) (*emr.Endpoint, error)
	ListManagedEndpoints(ctx context.Context, f ManagedEndpointFilter, p Page) ([]*emr.Endpoint, string, error)
	// UpdateManagedEndpoint writes e (all but its tags) if its stored state
	// is still from; ErrConflict otherwise.
	UpdateManagedEndpoint(ctx context.Context, e *emr.Endpoint, from emr.EndpointState) error

	// Tags returns the tags of a virtual cluster, job run or managed
	// endpoint (nil when it has none); ErrNotFound when there is no such
	// resource. Tags are kept apart from the rest of a resource: the Get and
	// List methods return the current tags, and no other write (such as
	// UpdateJobRun) changes them.
	Tags(ctx context.Context, r emr.ResourceRef) (map[string]string, error)
	// TagResource adds tags to r, replacing the values of keys it has.
	// ErrTooManyTags (and no change) when r would have more than emr.MaxTags.
	TagResource(ctx context.Context, r emr.ResourceRef, tags map[string]string) error
	// UntagResource removes keys from the tags of r; absent keys are ignored.
	UntagResource(ctx context.Context, r emr.ResourceRef, keys []string) error

	// Leases say which server drives which job run when several share
	// the store.
	Leases

	// Metering keeps what job runs' pods used, for cost reports.
	Metering

	// Logs keep the logs of finished runs for every server to read.
	Logs

	// Events are the outbox of job-run state changes.
	Events

	// Ping checks that the store answers a query (readiness probes).
	Ping(ctx context.Context) error
	// Retention removes finished runs and old usage.
	Retention

	Close() error
}

// ErrQueueFull: a virtual cluster's queue is at its maxInQueueJobRuns.
var ErrQueueFull = errors.New("job run queue full")

// QueueFullError is CreateJobRun's refusal of a run when its virtual
// cluster already has Queued runs waiting (PENDING or SUBMITTED) and its
// maxInQueueJobRuns is Limit. errors.Is(err, ErrQueueFull) holds for it.
type QueueFullError struct {
	VirtualClusterID string
	Queued, Limit    int
}

func (e *QueueFullError) Error() string {
	return fmt.Sprintf("virtual cluster %s already has %d job runs waiting (maxInQueueJobRuns %d)", e.VirtualClusterID, e.Queued, e.Limit)
}

// Is makes errors.Is(err, ErrQueueFull) true.
func (e *QueueFullError) Is(target error) bool { return target == ErrQueueFull }

// Logs keep the logs of finished job runs, so that any server sharing the
// store can return them.
type Logs interface {
	// PutJobRunLog stores (or replaces) the stream ("stdout", "stderr", …)
	// of an attempt of a job run.
	PutJobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string, data []byte) error
	// JobRunLog returns what PutJobRunLog stored; ErrNotFound when nothing.
	JobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string) ([]byte, error)
}

// ErrInvalidToken: a page token that this store did not hand out for the
// listing and query it is used with.
var ErrInvalidToken = errors.New("invalid page token")

// Metering keeps the usage records of the pods that job runs created (and of
// local runs' processes) and the nodes they ran on, for cost reports (see
// package cost). Records are kept until removed by hand; they do not refer
// to the job run rows, so they outlive nothing they describe.
type Metering interface {
	// RecordUsage inserts u or, when a record of the same (JobRunID,
	// Attempt, Pod) exists, updates it: a pod is recorded when it starts and
	// again when it ends. A later call replaces the record's fields, except
	// that an empty node, instance type, capacity type or zone, a zero End
	// and a nil Used keep what was recorded, and Start keeps the earlier of
	// the two. u.RunTags and u.VirtualClusterTags are ignored (Usage joins
	// the current tags). An invalid record (cost.Usage.Validate) is refused
	// with cost.ErrInvalidUsage.
	RecordUsage(ctx context.Context, u cost.Usage) error
	// RecordNode inserts n or updates the node of that name: its first seen
	// time widens to the earlier of the two, its last seen time to the later
	// (a zero End, still up, wins over a recorded one only when n.Start is
	// after it: the node came back); the other fields take n's non-empty
	// values. An invalid node is refused with cost.ErrInvalidUsage.
	RecordNode(ctx context.Context, n cost.Node) error
	// Usage streams, in no particular order, the records whose
	// [Start, End) overlaps [from, to) (a zero End: still running), with the
	// current tags of their job run and virtual cluster (nil when either has
	// none or no longer exists). Records are read from the database as the
	// sequence is ranged over, not loaded at once; the tag maps may be
	// shared between records and must not be modified. A failure ends the
	// sequence with its error.
	Usage(ctx context.Context, from, to time.Time) iter.Seq2[cost.Usage, error]
	// Nodes returns the nodes that were up at some time in [from, to).
	Nodes(ctx context.Context, from, to time.Time) ([]cost.Node, error)
	// ReadMetering calls read with the metering data, records and daily
	// rollups, as of one moment (one read transaction), for cost.Build; the
	// source is good until read returns. RecordUsage keeps the rollups of
	// the finished records in the transaction that writes them, TagResource
	// and UntagResource on a job run move its records' contributions to its
	// new tags in theirs, and the rollups join the current tags of virtual
	// clusters when read, so reports built from them equal those built from
	// the records alone.
	ReadMetering(ctx context.Context, read func(cost.Source) error) error
}
