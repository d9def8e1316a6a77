package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Security configurations are accepted, validated against the whole model
// and stored, and virtual clusters may refer to them; no runtime enforces
// them yet (Lake Formation, in-transit encryption, Identity Center).

func (s *Server) createSecurityConfiguration(r *http.Request) (any, error) {
	var req emr.CreateSecurityConfigurationRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := s.authorize(r.Context(), "emr-containers:CreateSecurityConfiguration", "*", conditions{}.withRequestTags(req.Tags)); err != nil {
		return nil, err
	}
	id := emr.NewResourceID()
	sc := &emr.SecurityConfiguration{
		ID:                        id,
		Name:                      req.Name,
		ARN:                       s.opts.Partition.SecurityConfigurationARN(id),
		CreatedAt:                 s.now(),
		CreatedBy:                 s.createdBy(r),
		SecurityConfigurationData: req.SecurityConfigurationData,
		Tags:                      req.Tags,
		ContainerProvider:         req.ContainerProvider,
	}
	idem := store.Idempotency{Scope: "CreateSecurityConfiguration", Token: req.ClientToken, Hash: requestHash(req, &req.ClientToken)}
	sc, err := s.store.CreateSecurityConfiguration(r.Context(), sc, idem)
	switch {
	case errors.Is(err, store.ErrTokenMismatch):
		return nil, emr.Validationf("Client token %s was already used with a different request.", req.ClientToken)
	case errors.Is(err, store.ErrNotFound):
		return nil, emr.Validationf("The security configuration created with client token %s has been deleted since; use a new client token to create another.", req.ClientToken)
	case err != nil:
		return nil, err
	}
	return map[string]string{"id": sc.ID, "name": sc.Name, "arn": sc.ARN}, nil
}

func (s *Server) describeSecurityConfiguration(r *http.Request) (any, error) {
	id, err := pathID(r, "securityConfigurationId")
	if err != nil {
		return nil, err
	}
	sc, err := s.store.GetSecurityConfiguration(r.Context(), id)
	if err := s.authorizeOn(r.Context(), "emr-containers:DescribeSecurityConfiguration", s.opts.Partition.SecurityConfigurationARN(id), scTags(sc)); err != nil {
		return nil, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.NotFoundf("Security configuration %s doesn't exist.", id)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"securityConfiguration": sc}, nil
}

func (s *Server) listSecurityConfigurations(r *http.Request) (any, error) {
	if err := s.authorize(r.Context(), "emr-containers:ListSecurityConfigurations", "*", conditions{}); err != nil {
		return nil, err
	}
	lq, err := parseListQuery(r)
	if err != nil {
		return nil, err
	}
	f := store.SecurityConfigurationFilter{CreatedAfter: lq.createdAfter, CreatedBefore: lq.createdBefore}
	scs, next, err := s.store.ListSecurityConfigurations(r.Context(), f, lq.page())
	if err != nil {
		return nil, listError(err)
	}
	out := map[string]any{"securityConfigurations": nonNil(scs)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// deleteSecurityConfiguration removes a security configuration that no
// virtual cluster (but TERMINATED ones) uses. The operation models no
// ResourceNotFoundException, so an unknown id is a ValidationException.
func (s *Server) deleteSecurityConfiguration(r *http.Request) (any, error) {
	id, err := pathID(r, "securityConfigurationId")
	if err != nil {
		return nil, err
	}
	sc, err := forAuthz(r.Context(), func(ctx context.Context) (*emr.SecurityConfiguration, error) {
		return s.store.GetSecurityConfiguration(ctx, id)
	})
	if err != nil {
		return nil, err
	}
	if err := s.authorizeOn(r.Context(), "emr-containers:DeleteSecurityConfiguration", s.opts.Partition.SecurityConfigurationARN(id), scTags(sc)); err != nil {
		return nil, err
	}
	err = s.store.DeleteSecurityConfiguration(r.Context(), id)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, emr.Validationf("Security configuration %s doesn't exist.", id)
	case errors.Is(err, store.ErrConflict):
		users, _, lerr := s.store.ListVirtualClusters(r.Context(), store.VirtualClusterFilter{SecurityConfigurationID: id,
			States: []emr.VirtualClusterState{emr.VirtualClusterRunning, emr.VirtualClusterTerminating, emr.VirtualClusterArrested}}, store.Page{Limit: 1})
		if lerr != nil || len(users) == 0 {
			return nil, emr.Validationf("Security configuration %s is used by a virtual cluster; delete the virtual cluster first.", id)
		}
		return nil, emr.Validationf("Security configuration %s is used by virtual cluster %s (%s); delete the virtual cluster first.", id, users[0].ID, users[0].State)
	case err != nil:
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

// scTags returns the tags of a security configuration read from the store
// (nil: none).
func scTags(sc *emr.SecurityConfiguration) map[string]string {
	if sc == nil {
		return nil
	}
	return sc.Tags
}
