package sparkui

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/objectstore"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
)

// S3Opener opens the object storage with the credentials of an execution
// role (those of its runs).
type S3Opener func(ctx context.Context, executionRoleARN string) (*objectstore.Client, error)

// Keeper keeps the event logs of local runs (it is a local.EventLogKeeper):
// in the server's storage, and in S3 under the run's logUri.
type Keeper struct {
	// Dir is the server's storage of event logs: <Dir>/<vc>/<run>/<app>.
	Dir string
	// S3 uploads to a run's logUri; nil: nothing is uploaded.
	S3 S3Opener
}

// runDir is the folder of run's event logs under the storage dir.
func runDir(dir string, run *emr.JobRun) string {
	return filepath.Join(dir, run.VirtualClusterID, run.ID)
}

// KeepEventLog copies the event logs in src (a job's folder, untrusted)
// into the storage, then uploads them to
// <logUri>/<vcId>/jobs/<jobId>/sparklogs/ when the run has a logUri.
func (k *Keeper) KeepEventLog(ctx context.Context, run *emr.JobRun, src string) error {
	dst := runDir(k.Dir, run)
	if err := os.MkdirAll(filepath.Dir(dst), 0o700); err != nil {
		return err
	}
	// Copied aside first, then each application moved in: a reader never
	// sees half an event log.
	tmp := dst + ".attempt-" + strconv.Itoa(run.Attempt())
	_ = os.RemoveAll(tmp)
	defer os.RemoveAll(tmp)
	if err := copyTree(src, tmp, MaxEventLogBytes); err != nil {
		return err
	}
	entries, err := os.ReadDir(tmp)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(dst, 0o700); err != nil {
		return err
	}
	for _, e := range entries {
		to := filepath.Join(dst, e.Name())
		if err := os.RemoveAll(to); err != nil {
			return err
		}
		if err := os.Rename(filepath.Join(tmp, e.Name()), to); err != nil {
			return err
		}
	}
	logURI := sparksubmit.LogURI(run)
	if logURI == "" || k.S3 == nil || len(entries) == 0 {
		return nil
	}
	c, err := k.S3(ctx, run.ExecutionRoleARN)
	if err != nil {
		return fmt.Errorf("upload to %s: %w", logURI, err)
	}
	prefix := sparksubmit.EventLogURI(logURI, run.VirtualClusterID, run.ID)
	var errs []error
	for _, e := range entries {
		err := filepath.WalkDir(filepath.Join(dst, e.Name()), func(p string, d fs.DirEntry, err error) error {
			if err != nil || !d.Type().IsRegular() {
				return err
			}
			rel, err := filepath.Rel(dst, p)
			if err != nil {
				return err
			}
			return c.PutFile(ctx, prefix+filepath.ToSlash(rel), p)
		})
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("upload to %s: %w", prefix, err)
	}
	return nil
}
