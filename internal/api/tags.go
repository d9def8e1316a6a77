package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// The tag operations take the resource's ARN as the last path segment,
// percent-encoded by the SDKs and the CLI (%3A, %2F); the route's
// {resourceArn...} wildcard also takes it unencoded. Only ARNs under
// /virtualclusters/ are taggable after creation: virtual clusters, job runs
// and managed endpoints (the model's RsiArn).

// taggedResource reads and checks the ARN of a tag operation. An ARN of
// another partition, region or account names nothing this server holds.
func (s *Server) taggedResource(r *http.Request) (string, emr.ResourceRef, error) {
	arn := r.PathValue("resourceArn")
	p, ref, err := emr.ParseResourceARN(arn)
	if err != nil {
		return arn, ref, err
	}
	if p != s.opts.Partition {
		return arn, ref, emr.NotFoundf("Resource %s doesn't exist: this server's ARNs are in partition %s, region %s, account %s.",
			arn, s.opts.Partition.Partition, s.opts.Partition.Region, s.opts.Partition.Account)
	}
	return arn, ref, nil
}

// tagError maps the store's answers for a tag operation on arn.
func tagError(arn string, err error) error {
	switch {
	case errors.Is(err, store.ErrNotFound):
		return emr.NotFoundf("Resource %s doesn't exist.", arn)
	case errors.Is(err, store.ErrTooManyTags):
		return emr.Validationf("1 validation error detected: Value at 'tags' failed to satisfy constraint: "+
			"resource %s would have more than %d tags", arn, emr.MaxTags)
	}
	return err
}

func (s *Server) tagResource(r *http.Request) (any, error) {
	arn, ref, err := s.taggedResource(r)
	if err != nil {
		return nil, err
	}
	var req emr.TagResourceRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := s.authorizeTagging(r, "emr-containers:TagResource", arn, ref, conditions{}.withRequestTags(req.Tags)); err != nil {
		return nil, err
	}
	if err := s.store.TagResource(r.Context(), ref, req.Tags); err != nil {
		return nil, tagError(arn, err)
	}
	return struct{}{}, nil
}

// untagResource removes tagKeys (repeated query member). The SDKs send no
// tagKeys at all for an empty list, so none is a valid, empty request.
func (s *Server) untagResource(r *http.Request) (any, error) {
	arn, ref, err := s.taggedResource(r)
	if err != nil {
		return nil, err
	}
	keys := r.URL.Query()["tagKeys"]
	if err := emr.CheckTagKeys(keys); err != nil {
		return nil, err
	}
	if err := s.authorizeTagging(r, "emr-containers:UntagResource", arn, ref, conditions{"aws:TagKeys": keys}); err != nil {
		return nil, err
	}
	if err := s.store.UntagResource(r.Context(), ref, keys); err != nil {
		return nil, tagError(arn, err)
	}
	return struct{}{}, nil
}

func (s *Server) listTagsForResource(r *http.Request) (any, error) {
	arn, ref, err := s.taggedResource(r)
	if err != nil {
		return nil, err
	}
	tags, err := s.store.Tags(r.Context(), ref)
	if err := s.authorizeOn(r.Context(), "emr-containers:ListTagsForResource", arn, tags); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, tagError(arn, err)
	}
	if tags == nil {
		tags = map[string]string{}
	}
	return map[string]any{"tags": tags}, nil
}

// authorizeTagging authorizes a tag operation on the resource arn (ref),
// with its current tags as aws:ResourceTag.
func (s *Server) authorizeTagging(r *http.Request, action, arn string, ref emr.ResourceRef, cond conditions) error {
	tags, err := forAuthz(r.Context(), func(ctx context.Context) (*map[string]string, error) {
		t, err := s.store.Tags(ctx, ref)
		return &t, err
	})
	if err != nil {
		return err
	}
	if tags != nil {
		cond = cond.withResourceTags(*tags)
	}
	return s.authorize(r.Context(), action, arn, cond)
}
