package api

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// The actions of sparkplane's own endpoints, beside emr-containers' (whose
// actions are named after their operations).
const (
	ActionGetJobRunLogs = "emr-containers:GetJobRunLogs" // on the job run
	ActionGetCostReport = "emr-containers:GetCostReport" // on each virtual cluster reported on
	actionPassRole      = "iam:PassRole"
	emrService          = "emr-containers.amazonaws.com"
)

// conditions are the request-specific condition keys of one authorization.
type conditions map[string][]string

// withResourceTags adds aws:ResourceTag/<key> for each of the resource's tags.
func (c conditions) withResourceTags(tags map[string]string) conditions {
	for k, v := range tags {
		c["aws:ResourceTag/"+k] = []string{v}
	}
	return c
}

// withRequestTags adds aws:RequestTag/<key> and aws:TagKeys for the tags a
// request sets.
func (c conditions) withRequestTags(tags map[string]string) conditions {
	keys := slices.Sorted(maps.Keys(tags))
	for _, k := range keys {
		c["aws:RequestTag/"+k] = []string{tags[k]}
	}
	c["aws:TagKeys"] = keys
	return c
}

// authorize asks whether the caller of ctx may perform action
// ("emr-containers:StartJobRun") on resource (an ARN, or "*" for actions
// with no resource type) given cond. A refusal is an AccessDeniedException
// in IAM's words. Every operation calls it before it reads or changes
// anything the caller names.
func (s *Server) authorize(ctx context.Context, action, resource string, cond conditions) error {
	c := callOf(ctx)
	if c == nil || c.caller == nil {
		return errNoCaller
	}
	c.authorized = true
	if c.caller.Evaluate == nil {
		return nil
	}
	req := Request{Action: action, Resource: resource, Context: maps.Clone(c.global)}
	maps.Copy(req.Context, cond)
	switch c.caller.Evaluate(req) {
	case Allowed:
		return nil
	case ExplicitDeny:
		return emr.AccessDeniedf("User: %s is not authorized to perform: %s on resource: %s with an explicit deny in an identity-based policy",
			c.caller.ARN, action, resource)
	default:
		return emr.AccessDeniedf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
			c.caller.ARN, action, resource, action)
	}
}

// passRole authorizes passing the execution role to emr-containers, which
// StartJobRun and CreateManagedEndpoint need beside their own action.
func (s *Server) passRole(ctx context.Context, roleARN, vcARN string) error {
	return s.authorize(ctx, actionPassRole, roleARN, conditions{
		"iam:PassedToService":       {emrService},
		"iam:AssociatedResourceArn": {vcARN},
	})
}

var errNoCaller = &emr.Error{Code: emr.CodeInternal, Message: "The request reached an operation without a caller."}

// authorizeVirtualCluster authorizes action on virtual cluster id, which
// the store answered vc for (nil when it does not exist: the caller is
// then authorized without its tags, so one who may not act on it learns
// nothing of whether it exists).
func (s *Server) authorizeVirtualCluster(ctx context.Context, action, id string, vc *emr.VirtualCluster, cond conditions) error {
	if vc != nil {
		cond = cond.withResourceTags(vc.Tags)
	}
	return s.authorize(ctx, action, s.opts.Partition.VirtualClusterARN(id), cond)
}

// authorizeOn authorizes action on the resource arn, whose tags are tags
// (nil when it does not exist).
func (s *Server) authorizeOn(ctx context.Context, action, arn string, tags map[string]string) error {
	return s.authorize(ctx, action, arn, conditions{}.withResourceTags(tags))
}

// forAuthz reads, with load, a resource whose tags only authorization
// needs: for a caller whose policies are evaluated. An unrestricted caller
// (authentication off) costs no read; nil when there is nothing to read
// (it does not exist). A read that fails otherwise is an error: deciding
// without the tags would skip a Deny on them.
func forAuthz[T any](ctx context.Context, load func(context.Context) (*T, error)) (*T, error) {
	if c := callerOf(ctx); c == nil || c.Evaluate == nil {
		return nil, nil
	}
	v, err := load(ctx)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the resource's tags to authorize: %w", err)
	}
	return v, nil
}
