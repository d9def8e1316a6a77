package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Managed endpoints (interactive endpoints for EMR Studio) are accepted,
// validated and stored, but no runtime serves them yet. Rather than claim
// ACTIVE, an endpoint is created TERMINATED_WITH_ERRORS with failureReason
// VALIDATION_ERROR and stateDetails saying that nothing runs behind it
// (emr.EndpointNotServed), so clients waiting for ACTIVE stop at once;
// GetManagedEndpointSessionCredentials hands out no credential.

func (s *Server) createManagedEndpoint(r *http.Request) (any, error) {
	vcID, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	var req emr.CreateManagedEndpointRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	ctx := r.Context()
	vc, err := forAuthz(ctx, func(ctx context.Context) (*emr.VirtualCluster, error) { return s.store.GetVirtualCluster(ctx, vcID) })
	if err != nil {
		return nil, err
	}
	cond := conditions{"emr-containers:ExecutionRoleArn": {req.ExecutionRoleARN}}.withRequestTags(req.Tags)
	if err := s.authorizeVirtualCluster(ctx, "emr-containers:CreateManagedEndpoint", vcID, vc, cond); err != nil {
		return nil, err
	}
	if err := s.passRole(ctx, req.ExecutionRoleARN, s.opts.Partition.VirtualClusterARN(vcID)); err != nil {
		return nil, err
	}
	if err := s.checkRole(req.ExecutionRoleARN); err != nil {
		return nil, err
	}
	if err := checkRelease("releaseLabel", req.ReleaseLabel); err != nil {
		return nil, err
	}
	id := emr.NewResourceID()
	e := &emr.Endpoint{
		ID:                          id,
		Name:                        req.Name,
		ARN:                         s.opts.Partition.EndpointARN(vcID, id),
		VirtualClusterID:            vcID,
		Type:                        req.Type,
		State:                       emr.EndpointTerminatedWithErrors,
		ReleaseLabel:                req.ReleaseLabel,
		ExecutionRoleARN:            req.ExecutionRoleARN,
		CertificateARN:              req.CertificateARN,
		ConfigurationOverrides:      req.ConfigurationOverrides,
		CreatedAt:                   s.now(),
		StateDetails:                emr.EndpointNotServed,
		FailureReason:               emr.FailureValidation,
		Tags:                        req.Tags,
		SessionIdleTimeoutInMinutes: req.SessionIdleTimeoutInMinutes,
	}
	idem := store.Idempotency{Scope: "CreateManagedEndpoint/" + vcID, Token: req.ClientToken, Hash: requestHash(req, &req.ClientToken)}
	e, err = s.store.CreateManagedEndpoint(r.Context(), e, idem)
	switch {
	case errors.Is(err, store.ErrNotFound):
		return nil, emr.NotFoundf("Virtual cluster %s doesn't exist.", vcID)
	case errors.Is(err, store.ErrConflict):
		return nil, emr.Validationf("Virtual cluster %s is not RUNNING; managed endpoints can only be created on a RUNNING virtual cluster.", vcID)
	case errors.Is(err, store.ErrTokenMismatch):
		return nil, emr.Validationf("Client token %s was already used with a different request.", req.ClientToken)
	case err != nil:
		return nil, err
	}
	return map[string]string{"id": e.ID, "name": e.Name, "arn": e.ARN, "virtualClusterId": vcID}, nil
}

// getManagedEndpoint reads the endpoint of r's path once the caller is
// authorized to perform action on it.
func (s *Server) getManagedEndpoint(r *http.Request, action string) (*emr.Endpoint, error) {
	vcID, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "endpointId")
	if err != nil {
		return nil, err
	}
	e, err := s.store.GetManagedEndpoint(r.Context(), vcID, id)
	if err := s.authorizeOn(r.Context(), action, s.opts.Partition.EndpointARN(vcID, id), endpointTags(e)); err != nil {
		return nil, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.NotFoundf("Managed endpoint %s doesn't exist in virtual cluster %s.", id, vcID)
	}
	return e, err
}

// endpointTags returns the tags of an endpoint read from the store (nil: none).
func endpointTags(e *emr.Endpoint) map[string]string {
	if e == nil {
		return nil
	}
	return e.Tags
}

func (s *Server) describeManagedEndpoint(r *http.Request) (any, error) {
	e, err := s.getManagedEndpoint(r, "emr-containers:DescribeManagedEndpoint")
	if err != nil {
		return nil, err
	}
	return map[string]any{"endpoint": e}, nil
}

func (s *Server) listManagedEndpoints(r *http.Request) (any, error) {
	vcID, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	vc, err := forAuthz(r.Context(), func(ctx context.Context) (*emr.VirtualCluster, error) { return s.store.GetVirtualCluster(ctx, vcID) })
	if err != nil {
		return nil, err
	}
	if err := s.authorizeVirtualCluster(r.Context(), "emr-containers:ListManagedEndpoints", vcID, vc, conditions{}); err != nil {
		return nil, err
	}
	lq, err := parseListQuery(r)
	if err != nil {
		return nil, err
	}
	states, err := queryStates(lq.q, emr.EndpointState.Valid)
	if err != nil {
		return nil, err
	}
	types := lq.q["types"]
	if len(types) > 10 {
		return nil, emr.Validationf("1 validation error detected: Value at 'types' failed to satisfy constraint: Member must have length less than or equal to 10")
	}
	for _, t := range types {
		if err := emr.CheckIdentifier("types.member", t); err != nil || len(t) > 64 {
			return nil, emr.Validationf("1 validation error detected: Value '%s' at 'types.member' failed to satisfy constraint: Member must have length between 1 and 64 and not be blank", t)
		}
	}
	f := store.ManagedEndpointFilter{VirtualClusterID: vcID, States: states, Types: types,
		CreatedAfter: lq.createdAfter, CreatedBefore: lq.createdBefore}
	es, next, err := s.store.ListManagedEndpoints(r.Context(), f, lq.page())
	if err != nil {
		return nil, listError(err)
	}
	out := map[string]any{"endpoints": nonNil(es)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// deleteManagedEndpoint moves an endpoint to TERMINATED (there is nothing
// running to stop). The operation models no ResourceNotFoundException, so
// an unknown endpoint is a ValidationException.
func (s *Server) deleteManagedEndpoint(r *http.Request) (any, error) {
	e, err := s.getManagedEndpoint(r, "emr-containers:DeleteManagedEndpoint")
	var ee *emr.Error
	if errors.As(err, &ee) && ee.Code == emr.CodeNotFound {
		return nil, emr.Validationf("%s", ee.Message)
	}
	if err != nil {
		return nil, err
	}
	for e.State != emr.EndpointTerminated {
		from := e.State
		e.State, e.FailureReason, e.StateDetails = emr.EndpointTerminated, "", "Deleted with DeleteManagedEndpoint."
		err := s.store.UpdateManagedEndpoint(r.Context(), e, from)
		if !errors.Is(err, store.ErrConflict) {
			if err != nil {
				return nil, err
			}
			break
		}
		if e, err = s.store.GetManagedEndpoint(r.Context(), e.VirtualClusterID, e.ID); err != nil {
			return nil, err
		}
	}
	return map[string]string{"id": e.ID, "virtualClusterId": e.VirtualClusterID}, nil
}

// getManagedEndpointSessionCredentials checks the request and that the
// endpoint exists, then refuses: no interactive endpoint runs, so there is
// no credential that would work. The identifiers may be ids or ARNs.
func (s *Server) getManagedEndpointSessionCredentials(r *http.Request) (any, error) {
	vcID, id := r.PathValue("virtualClusterId"), r.PathValue("endpointId")
	if err := emr.CheckIdentifier("virtualClusterIdentifier", vcID); err != nil {
		return nil, err
	}
	if err := emr.CheckIdentifier("endpointIdentifier", id); err != nil {
		return nil, err
	}
	var req emr.GetManagedEndpointSessionCredentialsRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if strings.HasPrefix(vcID, "arn:") {
		if _, ref, err := emr.ParseResourceARN(vcID); err == nil && ref.Kind == emr.KindVirtualCluster {
			vcID = ref.VirtualClusterID
		}
	}
	if strings.HasPrefix(id, "arn:") {
		if _, ref, err := emr.ParseResourceARN(id); err == nil && ref.Kind == emr.KindEndpoint && ref.VirtualClusterID == vcID {
			id = ref.ID
		}
	}
	e, err := s.store.GetManagedEndpoint(r.Context(), vcID, id)
	cond := conditions{"emr-containers:ExecutionRoleArn": {req.ExecutionRoleARN}}.withResourceTags(endpointTags(e))
	if err := s.authorize(r.Context(), "emr-containers:GetManagedEndpointSessionCredentials", s.opts.Partition.EndpointARN(vcID, id), cond); err != nil {
		return nil, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.NotFoundf("Managed endpoint %s doesn't exist in virtual cluster %s.", id, vcID)
	}
	if err != nil {
		return nil, err
	}
	return nil, emr.Validationf("Managed endpoint %s is %s: sparkplane does not serve interactive endpoints yet, "+
		"so no session runs behind it and there are no credentials to give. Run Spark work with StartJobRun.", e.ID, e.State)
}
