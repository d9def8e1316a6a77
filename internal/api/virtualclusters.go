package api

import (
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

func (s *Server) createVirtualCluster(r *http.Request) (any, error) {
	var req emr.CreateVirtualClusterRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := s.authorize(r.Context(), "emr-containers:CreateVirtualCluster", "*", conditions{}.withRequestTags(req.Tags)); err != nil {
		return nil, err
	}
	if !slices.Contains(s.opts.Clusters, req.ContainerProvider.ID) {
		return nil, emr.NotFoundf("Cluster %s is not registered with this sparkplane server; registered clusters: %s.",
			req.ContainerProvider.ID, strings.Join(s.opts.Clusters, ", "))
	}
	if check := s.opts.CheckNamespace; check != nil {
		if err := check(r.Context(), req.ContainerProvider.ID, req.ContainerProvider.Namespace()); err != nil {
			return nil, err
		}
	}
	id := emr.NewResourceID()
	vc := &emr.VirtualCluster{
		ID:                id,
		Name:              req.Name,
		ARN:               s.opts.Partition.VirtualClusterARN(id),
		State:             emr.VirtualClusterRunning,
		ContainerProvider: *req.ContainerProvider,
		CreatedAt:         s.now(),
		Tags:              req.Tags,
		// The store checks, in the same transaction, that it exists.
		SecurityConfigurationID: req.SecurityConfigurationID,
		SchedulerConfiguration:  req.SchedulerConfiguration,
	}
	idem := store.Idempotency{Scope: "CreateVirtualCluster", Token: req.ClientToken, Hash: requestHash(req, &req.ClientToken)}
	vc, err := s.store.CreateVirtualCluster(r.Context(), vc, idem)
	switch {
	case errors.Is(err, store.ErrConflict):
		return nil, emr.Validationf("A virtual cluster already exists in namespace %s of cluster %s.",
			req.ContainerProvider.Namespace(), req.ContainerProvider.ID)
	case errors.Is(err, store.ErrTokenMismatch):
		return nil, emr.Validationf("Client token %s was already used with a different request.", req.ClientToken)
	case errors.Is(err, store.ErrNotFound):
		return nil, emr.NotFoundf("Security configuration %s doesn't exist.", req.SecurityConfigurationID)
	case err != nil:
		return nil, err
	}
	return map[string]string{"id": vc.ID, "name": vc.Name, "arn": vc.ARN}, nil
}

func (s *Server) describeVirtualCluster(r *http.Request) (any, error) {
	vc, err := s.getVirtualCluster(r, "emr-containers:DescribeVirtualCluster")
	if err != nil {
		return nil, err
	}
	if err := s.withSchedulerStatus(r.Context(), vc); err != nil {
		return nil, err
	}
	return map[string]any{"virtualCluster": vc}, nil
}

// getVirtualCluster reads the virtual cluster of r's path once the caller
// is authorized to perform action on it.
func (s *Server) getVirtualCluster(r *http.Request, action string) (*emr.VirtualCluster, error) {
	id, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	vc, err := s.store.GetVirtualCluster(r.Context(), id)
	if err := s.authorizeVirtualCluster(r.Context(), action, id, vc, conditions{}); err != nil {
		return nil, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.NotFoundf("Virtual cluster %s doesn't exist.", id)
	}
	return vc, err
}

func (s *Server) listVirtualClusters(r *http.Request) (any, error) {
	if err := s.authorize(r.Context(), "emr-containers:ListVirtualClusters", "*", conditions{}); err != nil {
		return nil, err
	}
	lq, err := parseListQuery(r)
	if err != nil {
		return nil, err
	}
	states, err := queryStates(lq.q, func(s emr.VirtualClusterState) bool {
		return slices.Contains([]emr.VirtualClusterState{emr.VirtualClusterRunning, emr.VirtualClusterTerminating,
			emr.VirtualClusterTerminated, emr.VirtualClusterArrested}, s)
	})
	if err != nil {
		return nil, err
	}
	if t := lq.q.Get("containerProviderType"); t != "" && t != emr.ContainerProviderEKS {
		return nil, emr.Validationf("1 validation error detected: Value '%s' at 'containerProviderType' failed to satisfy constraint: Member must satisfy enum value set: [EKS]", t)
	}
	// No virtual cluster here is integrated with EKS access entries (that is
	// an AWS IAM feature), so asking for integrated ones lists none.
	if v := lq.q.Get("eksAccessEntryIntegrated"); v != "" {
		integrated, err := strconv.ParseBool(v)
		if err != nil || (v != "true" && v != "false") {
			return nil, emr.Validationf("1 validation error detected: Value '%s' at 'eksAccessEntryIntegrated' failed to satisfy constraint: Member must be true or false", v)
		}
		if integrated {
			return map[string]any{"virtualClusters": []*emr.VirtualCluster{}}, nil
		}
	}
	f := store.VirtualClusterFilter{States: states, ProviderID: lq.q.Get("containerProviderId"),
		CreatedAfter: lq.createdAfter, CreatedBefore: lq.createdBefore}
	vcs, next, err := s.store.ListVirtualClusters(r.Context(), f, lq.page())
	if err != nil {
		return nil, listError(err)
	}
	for _, vc := range vcs {
		if err := s.withSchedulerStatus(r.Context(), vc); err != nil {
			return nil, err
		}
	}
	out := map[string]any{"virtualClusters": nonNil(vcs)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// deleteVirtualCluster terminates a virtual cluster. One with job runs that
// have not finished is refused (cancel them first), so nothing is lost.
// DeleteVirtualCluster models no ResourceNotFoundException, so an unknown
// id is a ValidationException, as on EMR.
func (s *Server) deleteVirtualCluster(r *http.Request) (any, error) {
	id, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	vc, err := s.store.GetVirtualCluster(r.Context(), id)
	if err := s.authorizeVirtualCluster(r.Context(), "emr-containers:DeleteVirtualCluster", id, vc, conditions{}); err != nil {
		return nil, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.Validationf("Virtual cluster %s doesn't exist.", id)
	}
	if err != nil {
		return nil, err
	}
	if vc.State == emr.VirtualClusterTerminated {
		return map[string]string{"id": id}, nil
	}
	active, _, err := s.store.ListJobRuns(r.Context(), store.JobRunFilter{VirtualClusterID: id,
		States: []emr.JobRunState{emr.JobRunPending, emr.JobRunSubmitted, emr.JobRunRunning, emr.JobRunCancelPending}},
		store.Page{Limit: maxPageSize})
	if err != nil {
		return nil, err
	}
	if len(active) > 0 {
		return nil, emr.Validationf("Virtual cluster %s has %s that %s not finished (first: %s, %s). Cancel them with cancel-job-run or wait for them to end, then delete the virtual cluster.",
			id, plural(len(active), "job run"), map[bool]string{true: "has", false: "have"}[len(active) == 1], active[0].ID, active[0].State)
	}
	if err := s.store.SetVirtualClusterState(r.Context(), id, emr.VirtualClusterTerminated); err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	if n >= maxPageSize {
		return fmt.Sprintf("%d or more %ss", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
