package kubernetes

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/runtime"
)

// Pod templates in S3. Spark reads a run's code in S3 itself, through S3A
// with the execution role's credentials, as on EMR; its pod templates it
// cannot: the runtime merges them into its own (podtemplate.go) after
// checking them against the cluster's policy (templatecheck.go), so the
// server reads them. A podTemplateFile in S3 (s3://, s3a://, s3n://) is
// read during Submit with the credentials of the run's execution role
// (Options.S3), at most maxTemplateBytes and within s3TemplateTimeout,
// then parsed and checked exactly as a local file. What S3 refuses
// (NoSuchKey, AccessDenied, …), a template over the size cap or a read
// that outlasts the timeout fails the run (USER_ERROR, S3's error in
// stateDetails); unusable credentials are CLUSTER_UNAVAILABLE; anything
// else (S3 unreachable) is returned as is, and the controller tries again.

// ObjectReader reads objects with one execution role's credentials (an
// *objectstore.Client).
type ObjectReader interface {
	// Read returns the object uri names, of at most limit bytes. An
	// *objectstore.Error is the object's fault (missing, denied, too large).
	Read(ctx context.Context, uri string, limit int64) ([]byte, error)
}

// s3TemplateTimeout bounds reading a run's pod templates from S3, which
// holds a controller worker.
const s3TemplateTimeout = time.Minute

// templateSource reads the pod templates of run: from S3 with the
// credentials of its execution role, else from the server's files.
func (r *Runtime) templateSource(ctx context.Context, run *emr.JobRun) templateSource {
	local := localTemplates(r.opts.PodTemplateDirs)
	if r.opts.S3 == nil {
		return local
	}
	return func(path string) ([]byte, error) {
		if !objectstore.IsS3(path) {
			return local(path)
		}
		if _, _, err := objectstore.ParseURI(path); err != nil {
			return nil, fmt.Errorf("pod template: %w", err)
		}
		ctx, cancel := context.WithTimeout(ctx, s3TemplateTimeout)
		defer cancel()
		rd, err := r.opts.S3(ctx, run.ExecutionRoleARN)
		if err != nil {
			return nil, &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf(
				"S3 credentials of execution role %s: %v", run.ExecutionRoleARN, err)}
		}
		b, err := rd.Read(ctx, path, maxTemplateBytes)
		var oe *objectstore.Error
		switch {
		case errors.As(err, &oe):
			return nil, &runtime.SubmitError{Reason: emr.FailureUser, Message: "pod template " + oe.Error()}
		case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
			return nil, &runtime.SubmitError{Reason: emr.FailureUser, Message: fmt.Sprintf(
				"pod template %s was not read from S3 within %s", path, s3TemplateTimeout)}
		case err != nil:
			return nil, retryable{fmt.Errorf("read pod template: %w", err)}
		}
		return b, nil
	}
}

// retryable is an error of newPlanWith that trying again may fix.
type retryable struct{ error }

func (e retryable) Unwrap() error { return e.error }

// planError is what Submit returns for an error of newPlanWith: a
// *runtime.SubmitError as it is, a retryable error for the controller to
// try again, anything else the user's (VALIDATION_ERROR).
func planError(err error) error {
	if se, ok := runtime.AsSubmitError(err); ok {
		return se
	}
	var re retryable
	if errors.As(err, &re) {
		return re.error
	}
	return &runtime.SubmitError{Reason: emr.FailureValidation, Message: err.Error()}
}
