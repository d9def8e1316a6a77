package api

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"time"

	"github.com/google/uuid"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Notifier is told about runs that need the controller's attention.
type Notifier interface {
	// Enqueue asks for a pass over one run (it was started, or its cancel
	// was recorded).
	Enqueue(virtualClusterID, jobRunID string)
	// WakeQueue asks for a look at the head of a virtual cluster's queue (a
	// run joined it, or its limits changed).
	WakeQueue(virtualClusterID string)
}

// Options configure a Server.
type Options struct {
	// Partition places the ARNs the server hands out.
	Partition emr.Partition
	// Clusters are the ids of the registered clusters a virtual cluster's
	// containerProvider.id may name.
	Clusters []string
	// CheckNamespace, when set, vets the namespace of a new virtual cluster
	// on its cluster (exists, sparkplane may work there); it returns an
	// *emr.Error for the client or another error for a failure.
	CheckNamespace func(ctx context.Context, clusterID, namespace string) error
	// Logs serves the logs of runs; nil: no run has any.
	Logs LogSource
	// Auth verifies callers; nil: authentication is off and every caller is
	// the account's root, allowed everything (a loopback-only server).
	Auth Authenticator
	// LoopbackOnly, with Auth nil, serves only requests addressed to a
	// loopback host (Host header) and, from a browser, sent by a page of a
	// loopback origin (Origin header): a loopback-only server that no web
	// page (cross-site, or after DNS rebinding) nor reverse proxy can drive.
	LoopbackOnly bool
	// CheckExecutionRole, when set, refuses (with an *emr.Error) an
	// execution role that runs may not name.
	CheckExecutionRole func(arn string) error
	// Audit receives the audit records; nil: none are kept.
	Audit AuditSink
	// SparkUI serves the Spark UI of ended runs (sparkui.go); nil: none.
	SparkUI SparkUI
	// Pricing prices cost reports; nil: cost.DefaultPricing().
	Pricing *cost.Pricing
	// Metrics counts and times every call (see metrics.go); nil: none.
	Metrics RequestObserver
	Now     func() time.Time
	Logger  *slog.Logger
}

// Server serves the emr-containers API.
type Server struct {
	store  store.Store
	notify Notifier
	opts   Options
	runIDs emr.JobRunIDs
	mux    *http.ServeMux
}

// New returns a server over st that tells notify about new and cancelled runs.
func New(st store.Store, notify Notifier, opts Options) *Server {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	s := &Server{store: st, notify: notify, opts: opts, mux: http.NewServeMux()}
	s.routes()
	return s
}

// handlerFunc is an API operation: it returns the response body or an error.
type handlerFunc func(r *http.Request) (any, error)

func (s *Server) routes() {
	for _, rt := range []struct {
		pattern, op string
		h           handlerFunc
	}{
		{"POST /virtualclusters", "CreateVirtualCluster", s.createVirtualCluster},
		{"GET /virtualclusters", "ListVirtualClusters", s.listVirtualClusters},
		{"GET /virtualclusters/{virtualClusterId}", "DescribeVirtualCluster", s.describeVirtualCluster},
		{"DELETE /virtualclusters/{virtualClusterId}", "DeleteVirtualCluster", s.deleteVirtualCluster},
		{"PATCH /virtualclusters/{virtualClusterId}", "UpdateVirtualCluster", s.updateVirtualCluster},
		{"POST /virtualclusters/{virtualClusterId}/jobruns", "StartJobRun", s.startJobRun},
		{"GET /virtualclusters/{virtualClusterId}/jobruns", "ListJobRuns", s.listJobRuns},
		{"GET /virtualclusters/{virtualClusterId}/jobruns/{jobRunId}", "DescribeJobRun", s.describeJobRun},
		{"DELETE /virtualclusters/{virtualClusterId}/jobruns/{jobRunId}", "CancelJobRun", s.cancelJobRun},
		{"POST /jobtemplates", "CreateJobTemplate", s.createJobTemplate},
		{"GET /jobtemplates", "ListJobTemplates", s.listJobTemplates},
		{"GET /jobtemplates/{templateId}", "DescribeJobTemplate", s.describeJobTemplate},
		{"DELETE /jobtemplates/{templateId}", "DeleteJobTemplate", s.deleteJobTemplate},
		{"POST /securityconfigurations", "CreateSecurityConfiguration", s.createSecurityConfiguration},
		{"GET /securityconfigurations", "ListSecurityConfigurations", s.listSecurityConfigurations},
		{"GET /securityconfigurations/{securityConfigurationId}", "DescribeSecurityConfiguration", s.describeSecurityConfiguration},
		{"DELETE /securityconfigurations/{securityConfigurationId}", "DeleteSecurityConfiguration", s.deleteSecurityConfiguration},
		{"POST /virtualclusters/{virtualClusterId}/endpoints", "CreateManagedEndpoint", s.createManagedEndpoint},
		{"GET /virtualclusters/{virtualClusterId}/endpoints", "ListManagedEndpoints", s.listManagedEndpoints},
		{"GET /virtualclusters/{virtualClusterId}/endpoints/{endpointId}", "DescribeManagedEndpoint", s.describeManagedEndpoint},
		{"DELETE /virtualclusters/{virtualClusterId}/endpoints/{endpointId}", "DeleteManagedEndpoint", s.deleteManagedEndpoint},
		{"POST /virtualclusters/{virtualClusterId}/endpoints/{endpointId}/credentials", "GetManagedEndpointSessionCredentials", s.getManagedEndpointSessionCredentials},
		{"POST /tags/{resourceArn...}", "TagResource", s.tagResource},
		{"DELETE /tags/{resourceArn...}", "UntagResource", s.untagResource},
		{"GET /tags/{resourceArn...}", "ListTagsForResource", s.listTagsForResource},
	} {
		s.mux.Handle(rt.pattern, s.wrap(rt.op, rt.h))
	}
	s.mux.Handle("GET /sparkplane/v1/virtualclusters/{virtualClusterId}/jobruns/{jobRunId}/logs/{stream}", s.serve("GetJobRunLogs", s.jobRunLog))
	s.mux.Handle("GET /sparkplane/v1/virtualclusters/{virtualClusterId}/jobruns/{jobRunId}/containers", s.serve("GetJobRunLogs", s.jobRunContainers))
	s.mux.Handle("GET /sparkplane/v1/cost", s.serve("GetCostReport", s.costReport))
	s.mux.Handle("GET /sparkplane/v1/virtualclusters/{virtualClusterId}/jobruns/{jobRunId}/ui", s.wrap("GetJobRunUI", s.jobRunUI))
	s.mux.Handle("GET /sparkplane/v1/events", s.serve("GetJobRunEvents", s.jobRunEvents))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
	s.mux.HandleFunc("GET /readyz", s.readyz) // readiness.go
}

// ServeHTTP implements http.Handler. Requests that match no operation get
// an AWS-shaped UnknownOperationException rather than a plain-text 404/405.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := s.mux.Handler(r); pattern == "" {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("X-Amzn-ErrorType", "UnknownOperationException")
		w.WriteHeader(http.StatusNotFound)
		_ = json.NewEncoder(w).Encode(map[string]string{"__type": "UnknownOperationException",
			"message": "No emr-containers operation is served at " + r.Method + " " + r.URL.EscapedPath()})
		return
	}
	s.mux.ServeHTTP(w, r)
}

// wrap turns a handlerFunc into an http.Handler (see serve): JSON
// response, AWS error encoding, and no panic escaping.
func (s *Server) wrap(op string, h handlerFunc) http.Handler {
	return s.serve(op, func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				s.opts.Logger.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, r, s.opts.Logger, errPanic)
			}
		}()
		out, err := h(r)
		if err == nil && !callOf(r.Context()).authorized {
			// Every operation authorizes what it touches; one that did
			// not is a bug, and its answer is withheld.
			err = fmt.Errorf("operation %s answered without authorizing", op)
		}
		if err != nil {
			writeError(w, r, s.opts.Logger, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

// serve gives operation op its request id, authenticates its caller and
// writes the audit record of every call that changes something and of
// every refusal.
func (s *Server) serve(op string, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		rec := &recorder{ResponseWriter: w}
		rec.Header().Set("x-amzn-RequestId", uuid.NewString())
		r, err := s.authenticate(r, op)
		if err != nil {
			writeError(rec, r, s.opts.Logger, err)
		} else {
			h(rec, r)
		}
		s.audit(r, rec)
		s.observe(op, rec, start)
	})
}

var errPanic = &panicError{}

type panicError struct{}

func (*panicError) Error() string { return "handler panicked" }

// now returns the current time at the millisecond precision the store keeps.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }
