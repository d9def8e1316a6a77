package api

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"regexp"
	"time"

	"github.com/google/uuid"

	"github.com/sparkplane/sparkplane/internal/cost"
	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Notifier is told about runs that need the controller's attention.
type Notifier interface {
	// Enqueue asks for a pass over one run (its cancel was recorded).
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
	// Pricing prices cost reports; nil: cost.DefaultPricing().
	Pricing *cost.Pricing
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
		pattern string
		h       handlerFunc
	}{
		{"POST /virtualclusters", s.createVirtualCluster},
		{"GET /virtualclusters", s.listVirtualClusters},
		{"GET /virtualclusters/{virtualClusterId}", s.describeVirtualCluster},
		{"DELETE /virtualclusters/{virtualClusterId}", s.deleteVirtualCluster},
		{"PATCH /virtualclusters/{virtualClusterId}", s.updateVirtualCluster},
		{"POST /virtualclusters/{virtualClusterId}/jobruns", s.startJobRun},
		{"GET /virtualclusters/{virtualClusterId}/jobruns", s.listJobRuns},
		{"GET /virtualclusters/{virtualClusterId}/jobruns/{jobRunId}", s.describeJobRun},
		{"DELETE /virtualclusters/{virtualClusterId}/jobruns/{jobRunId}", s.cancelJobRun},
		{"POST /jobtemplates", s.createJobTemplate},
		{"GET /jobtemplates", s.listJobTemplates},
		{"GET /jobtemplates/{templateId}", s.describeJobTemplate},
		{"DELETE /jobtemplates/{templateId}", s.deleteJobTemplate},
		{"POST /securityconfigurations", s.createSecurityConfiguration},
		{"GET /securityconfigurations", s.listSecurityConfigurations},
		{"GET /securityconfigurations/{securityConfigurationId}", s.describeSecurityConfiguration},
		{"DELETE /securityconfigurations/{securityConfigurationId}", s.deleteSecurityConfiguration},
		{"POST /virtualclusters/{virtualClusterId}/endpoints", s.createManagedEndpoint},
		{"GET /virtualclusters/{virtualClusterId}/endpoints", s.listManagedEndpoints},
		{"GET /virtualclusters/{virtualClusterId}/endpoints/{endpointId}", s.describeManagedEndpoint},
		{"DELETE /virtualclusters/{virtualClusterId}/endpoints/{endpointId}", s.deleteManagedEndpoint},
		{"POST /virtualclusters/{virtualClusterId}/endpoints/{endpointId}/credentials", s.getManagedEndpointSessionCredentials},
		{"POST /tags/{resourceArn...}", s.tagResource},
		{"DELETE /tags/{resourceArn...}", s.untagResource},
		{"GET /tags/{resourceArn...}", s.listTagsForResource},
	} {
		s.mux.Handle(rt.pattern, s.wrap(rt.h))
	}
	s.mux.Handle("GET /sparkplane/v1/virtualclusters/{virtualClusterId}/jobruns/{jobRunId}/logs/{stream}", withRequestID(s.jobRunLog))
	s.mux.Handle("GET /sparkplane/v1/cost", withRequestID(s.costReport))
	s.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write([]byte("ok\n")) })
}

// withRequestID gives sparkplane's own endpoints the request id header the
// AWS operations carry, so one log search finds any request.
func withRequestID(h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-RequestId", uuid.NewString())
		h(w, r)
	})
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

// wrap turns a handlerFunc into an http.Handler: request id, JSON response,
// AWS error encoding, one log line per failure, and no panic escaping.
func (s *Server) wrap(h handlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("x-amzn-RequestId", uuid.NewString())
		defer func() {
			if v := recover(); v != nil {
				s.opts.Logger.Error("panic in handler", "method", r.Method, "path", r.URL.Path, "panic", v)
				writeError(w, r, s.opts.Logger, errPanic)
			}
		}()
		out, err := h(r)
		if err != nil {
			writeError(w, r, s.opts.Logger, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(out)
	})
}

var errPanic = &panicError{}

type panicError struct{}

func (*panicError) Error() string { return "handler panicked" }

// accessKey reads the access key id from a SigV4 Authorization header.
var accessKey = regexp.MustCompile(`Credential=([A-Za-z0-9]+)/`)

// caller returns the ARN recorded as createdBy. Signatures are not verified:
// the access key id names the caller.
func (s *Server) caller(r *http.Request) string {
	p := s.opts.Partition
	if m := accessKey.FindStringSubmatch(r.Header.Get("Authorization")); m != nil {
		return "arn:" + p.Partition + ":iam::" + p.Account + ":user/" + m[1]
	}
	return "arn:" + p.Partition + ":iam::" + p.Account + ":root"
}

// now returns the current time at the millisecond precision the store keeps.
func (s *Server) now() time.Time { return s.opts.Now().UTC().Truncate(time.Millisecond) }
