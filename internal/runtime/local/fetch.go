package local

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// Code in S3. Spark's local mode cannot read s3:// code by itself, so
// before spark-submit starts the runtime downloads every s3:// (s3a://,
// s3n://) location of the run's code (sparksubmit.Submission.Code: the
// entry point or SQL file, --jars, --py-files, --files, --archives and
// their properties) with the credentials of the run's execution role, into
// the code folder of the attempt's working folder, and hands spark-submit
// the local paths instead. Each object gets a folder of its own,
// code/<n>/<name>, so that objects of the same name do not collide while
// Spark still sees their names (a --py-files zip, an --archives #alias).
//
// An isolated run's files are fetched while its new working folder is
// still root's and 0700, then handed to the run's user with it; a run as
// the server's user gets them in its run folder. The code folder is
// removed when the run ends, with the credentials.
//
// Fetching is part of Submit, so it holds a controller worker: it is
// bounded by Options.FetchTimeout. What S3 refuses (NoSuchKey,
// AccessDenied, …), an object over the size cap or a fetch that outlasts
// the timeout fails the run (USER_ERROR, S3's error in stateDetails); an
// unusable credentials file is CLUSTER_UNAVAILABLE; anything else (S3
// unreachable) is returned as is, and the controller tries again.

// Fetcher downloads objects with one execution role's credentials (an
// *objectstore.Client).
type Fetcher interface {
	// Fetch downloads the object uri names into the new file dest. An
	// *objectstore.Error is the object's fault (missing, denied, too large).
	Fetch(ctx context.Context, uri, dest string) error
}

// DefaultFetchTimeout is Options.FetchTimeout's default.
const DefaultFetchTimeout = time.Minute

// dirCode is the folder of a working folder that code from S3 goes into.
const dirCode = "code"

// download is one object to fetch: from uri to path.
type download struct{ uri, path string }

// planFetch relocates sub's code in S3 into the code folder of the working
// folder work and returns what to download there (nil: nothing).
func (r *Runtime) planFetch(sub *sparksubmit.Submission, work string) ([]download, error) {
	var ds []download
	moved := map[string]string{}
	for _, loc := range sub.Code() {
		if !objectstore.IsS3(loc) {
			continue
		}
		if _, _, err := objectstore.ParseURI(loc); err != nil {
			return nil, &runtime.SubmitError{Reason: emr.FailureValidation, Message: err.Error()}
		}
		name := objectstore.Name(loc)
		if name == "." || name == ".." {
			return nil, &runtime.SubmitError{Reason: emr.FailureValidation, Message: fmt.Sprintf("%q does not name an object", loc)}
		}
		p := filepath.Join(work, dirCode, strconv.Itoa(len(ds)+1), name)
		ds = append(ds, download{uri: loc, path: p})
		moved[loc] = p
	}
	if len(ds) > 0 && r.opts.S3 == nil {
		return nil, &runtime.SubmitError{Reason: emr.FailureValidation, Message: fmt.Sprintf(
			"%s: this server has no S3 object storage to fetch code from", ds[0].uri)}
	}
	sub.Relocate(moved)
	return ds, nil
}

// fetch downloads ds (planned by planFetch for the working folder work)
// with the credentials of run's execution role, within
// Options.FetchTimeout; the files and their folders are u's (nil: the
// server's user's). What it fetched is removed when it fails. Errors are
// described above.
func (r *Runtime) fetch(ctx context.Context, run *emr.JobRun, work string, ds []download, u *jobUser) (err error) {
	if len(ds) == 0 {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, r.opts.FetchTimeout)
	defer cancel()
	f, err := r.opts.S3(ctx, run.ExecutionRoleARN)
	if err != nil {
		return &runtime.SubmitError{Reason: emr.FailureClusterUnavailable, Message: fmt.Sprintf(
			"S3 credentials of execution role %s: %v", run.ExecutionRoleARN, err)}
	}
	code := filepath.Join(work, dirCode)
	if err := os.RemoveAll(code); err != nil { // what a failed earlier try left
		return fmt.Errorf("clear code folder: %w", err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(code)
		}
	}()
	if err := os.Mkdir(code, 0o700); err != nil {
		return fmt.Errorf("create code folder: %w", err)
	}
	if err := chown(code, u); err != nil {
		return err
	}
	for _, d := range ds {
		folder := filepath.Dir(d.path)
		if err := os.Mkdir(folder, 0o700); err != nil {
			return fmt.Errorf("create code folder: %w", err)
		}
		if err := chown(folder, u); err != nil {
			return err
		}
		err := f.Fetch(ctx, d.uri, d.path)
		var oe *objectstore.Error
		switch {
		case errors.As(err, &oe):
			return &runtime.SubmitError{Reason: emr.FailureUser, Message: oe.Error()}
		case err != nil && errors.Is(ctx.Err(), context.DeadlineExceeded):
			return &runtime.SubmitError{Reason: emr.FailureUser, Message: fmt.Sprintf(
				"%s: the run's code was not fetched from S3 within %s", d.uri, r.opts.FetchTimeout)}
		case err != nil:
			return fmt.Errorf("fetch code: %w", err)
		}
		if err := chown(d.path, u); err != nil {
			return err
		}
	}
	return nil
}

// chown hands p to u (nil: leaves it as it is).
func chown(p string, u *jobUser) error {
	if u == nil {
		return nil
	}
	if err := os.Lchown(p, u.uid, u.gid); err != nil {
		return fmt.Errorf("chown %s: %w", p, err)
	}
	return nil
}
