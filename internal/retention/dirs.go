package retention

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

// Dirs are a server's folders that keep files of job runs; empty fields
// are not looked at.
type Dirs struct {
	// Runs are folders that keep a folder per run, <vc>/<run>, and maybe
	// copies in progress beside it, <vc>/<run>.attempt-<n>: the run
	// folders (package rundir), local runs' event logs (package sparkui),
	// isolated local runs' working folders (local.workDir).
	Runs []string
	// Aged are folders whose entries belong to no run by name (log-ship
	// spools, the History Server's staged event logs): an entry not
	// modified for the job-run retention period is removed.
	Aged []string
}

// remove deletes the folders of runs and returns how many there were.
func (d Dirs) remove(runs []store.RunRef) int {
	n := 0
	for _, r := range runs {
		if !plainName(r.VirtualClusterID) || !plainName(r.ID) {
			continue
		}
		for _, dir := range d.Runs {
			n += removeAll(filepath.Join(dir, r.VirtualClusterID, r.ID))
			copies, _ := filepath.Glob(filepath.Join(dir, r.VirtualClusterID, r.ID+".attempt-*"))
			for _, c := range copies {
				n += removeAll(c)
			}
		}
	}
	return n
}

// sweep removes, in the run folders, those not modified since before whose
// run the store no longer has (purged by another server, or before a
// crash), and the aged entries not modified since before. A zero before
// removes nothing.
func (d Dirs) sweep(ctx context.Context, st Store, before time.Time) (int, error) {
	if before.IsZero() {
		return 0, nil
	}
	n := 0
	var errs []error
	for _, dir := range d.Runs {
		clusters, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		for _, vc := range clusters {
			if !vc.IsDir() || !plainName(vc.Name()) {
				continue
			}
			entries, err := os.ReadDir(filepath.Join(dir, vc.Name()))
			if err != nil {
				errs = append(errs, err)
				continue
			}
			for _, e := range entries {
				if ctx.Err() != nil {
					return n, ctx.Err()
				}
				id, _, _ := strings.Cut(e.Name(), ".attempt-")
				if !plainName(id) || !olderThan(e, before) {
					continue
				}
				_, err := st.GetJobRun(ctx, vc.Name(), id)
				switch {
				case errors.Is(err, store.ErrNotFound):
					n += removeAll(filepath.Join(dir, vc.Name(), e.Name()))
				case err != nil:
					errs = append(errs, err)
				}
			}
		}
	}
	for _, dir := range d.Aged {
		entries, err := os.ReadDir(dir)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
		for _, e := range entries {
			if olderThan(e, before) {
				n += removeAll(filepath.Join(dir, e.Name()))
			}
		}
	}
	return n, errors.Join(errs...)
}

// olderThan says whether e was last modified before t.
func olderThan(e fs.DirEntry, t time.Time) bool {
	info, err := e.Info()
	return err == nil && info.ModTime().Before(t)
}

// removeAll removes path and everything under it; 1 if it existed.
func removeAll(path string) int {
	if _, err := os.Lstat(path); err != nil {
		return 0
	}
	if os.RemoveAll(path) != nil {
		return 0
	}
	return 1
}

// plainName: a resource id as a folder name (lower-case letters and
// digits), never a path.
func plainName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9') {
			return false
		}
	}
	return true
}
