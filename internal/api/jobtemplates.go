package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// createJobTemplate stores a template. Its values with no ${placeholder}
// are checked as StartJobRun will check them (a release label that does not
// exist is a ResourceNotFoundException, spark-submit parameters must
// parse); values with placeholders are checked when a run fills them.
func (s *Server) createJobTemplate(r *http.Request) (any, error) {
	var req emr.CreateJobTemplateRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	if err := s.authorize(r.Context(), "emr-containers:CreateJobTemplate", "*", conditions{}.withRequestTags(req.Tags)); err != nil {
		return nil, err
	}
	d := req.JobTemplateData
	if !strings.Contains(d.ReleaseLabel, "${") {
		if err := checkRelease("jobTemplateData.releaseLabel", d.ReleaseLabel); err != nil {
			return nil, err
		}
	}
	if err := checkParameters("jobTemplateData.jobDriver", d.JobDriver, true); err != nil {
		return nil, err
	}
	id := emr.NewResourceID()
	t := &emr.JobTemplate{
		Name:            req.Name,
		ID:              id,
		ARN:             s.opts.Partition.JobTemplateARN(id),
		CreatedAt:       s.now(),
		CreatedBy:       s.createdBy(r),
		Tags:            req.Tags,
		JobTemplateData: *d,
		KMSKeyARN:       req.KMSKeyARN,
	}
	idem := store.Idempotency{Scope: "CreateJobTemplate", Token: req.ClientToken, Hash: requestHash(req, &req.ClientToken)}
	t, err := s.store.CreateJobTemplate(r.Context(), t, idem)
	switch {
	case errors.Is(err, store.ErrTokenMismatch):
		return nil, emr.Validationf("Client token %s was already used with a different request.", req.ClientToken)
	case errors.Is(err, store.ErrNotFound):
		return nil, emr.Validationf("The job template created with client token %s has been deleted since; use a new client token to create another.", req.ClientToken)
	case err != nil:
		return nil, err
	}
	return map[string]any{"id": t.ID, "name": t.Name, "arn": t.ARN, "createdAt": t.CreatedAt}, nil
}

func (s *Server) describeJobTemplate(r *http.Request) (any, error) {
	id, err := pathID(r, "templateId")
	if err != nil {
		return nil, err
	}
	t, err := s.store.GetJobTemplate(r.Context(), id)
	if err := s.authorizeOn(r.Context(), "emr-containers:DescribeJobTemplate", s.opts.Partition.JobTemplateARN(id), tagsOf(t)); err != nil {
		return nil, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.NotFoundf("Job template %s doesn't exist.", id)
	}
	if err != nil {
		return nil, err
	}
	return map[string]any{"jobTemplate": t}, nil
}

func (s *Server) listJobTemplates(r *http.Request) (any, error) {
	if err := s.authorize(r.Context(), "emr-containers:ListJobTemplates", "*", conditions{}); err != nil {
		return nil, err
	}
	lq, err := parseListQuery(r)
	if err != nil {
		return nil, err
	}
	f := store.JobTemplateFilter{CreatedAfter: lq.createdAfter, CreatedBefore: lq.createdBefore}
	ts, next, err := s.store.ListJobTemplates(r.Context(), f, lq.page())
	if err != nil {
		return nil, listError(err)
	}
	out := map[string]any{"templates": nonNil(ts)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// deleteJobTemplate removes a template; runs started from it are not
// affected. DeleteJobTemplate models no ResourceNotFoundException, so an
// unknown id is a ValidationException.
func (s *Server) deleteJobTemplate(r *http.Request) (any, error) {
	id, err := pathID(r, "templateId")
	if err != nil {
		return nil, err
	}
	t, err := forAuthz(r.Context(), func(ctx context.Context) (*emr.JobTemplate, error) { return s.store.GetJobTemplate(ctx, id) })
	if err != nil {
		return nil, err
	}
	if err := s.authorizeOn(r.Context(), "emr-containers:DeleteJobTemplate", s.opts.Partition.JobTemplateARN(id), tagsOf(t)); err != nil {
		return nil, err
	}
	err = s.store.DeleteJobTemplate(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.Validationf("Job template %s doesn't exist.", id)
	}
	if err != nil {
		return nil, err
	}
	return map[string]string{"id": id}, nil
}

// tagsOf returns the tags of a template read from the store (nil: none).
func tagsOf(t *emr.JobTemplate) map[string]string {
	if t == nil {
		return nil
	}
	return t.Tags
}
