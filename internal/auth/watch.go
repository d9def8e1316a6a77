package auth

import (
	"context"
	"fmt"
	"os"
	"time"
)

// Watch reloads the access file whenever it changes (a new modification
// time, size, inode, or mode), polling every interval (default 1s), until
// ctx is done. A change is loaded once it has stayed for a poll, so that a
// file being written in place is not read half-written. A version that does not load is logged and the previous one
// kept; a good one replaces it atomically: a request is verified against
// one version or the other, never a mix.
func (a *Access) Watch(ctx context.Context, interval time.Duration) {
	if interval <= 0 {
		interval = time.Second
	}
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			a.reloadIfChanged()
		}
	}
}

// Reload loads the access file now, whether it changed or not (for example
// on SIGHUP). On error the previous version stays in use.
func (a *Access) Reload() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	return a.reload()
}

// reloadIfChanged reloads the file if it is not the version last tried (so
// that a bad version is reported once, not at every poll) and has not
// changed since the previous poll.
func (a *Access) reloadIfChanged() {
	a.mu.Lock()
	defer a.mu.Unlock()
	fi, err := os.Stat(a.path)
	if err != nil {
		if a.last != (fileID{}) {
			a.last = fileID{}
			a.opts.Logger.Error("access file unreadable; keeping the credentials loaded before",
				"path", a.path, "err", err)
		}
		return
	}
	id := idOf(fi)
	if id == a.last {
		return
	}
	if id != a.pending { // still being written, maybe: wait a poll
		a.pending = id
		return
	}
	_ = a.reload() // logged
}

// reload reads the file and, if it is good, swaps it in; a.mu is held.
func (a *Access) reload() error {
	s, err := a.read()
	if err != nil {
		if fi, serr := os.Stat(a.path); serr == nil {
			a.last = idOf(fi)
		}
		a.opts.Logger.Error("access file not reloaded; keeping the credentials loaded before",
			"path", a.path, "err", err)
		return err
	}
	a.last = s.id
	a.cur.Store(s)
	a.opts.Logger.Info("access file reloaded", "path", a.path,
		"users", s.users, "roles", s.roles, "accessKeys", len(s.keys))
	return nil
}

// String describes what is loaded, without secrets.
func (a *Access) String() string {
	u, r, k := a.Counts()
	return fmt.Sprintf("access file %s: %d users, %d roles, %d access keys", a.path, u, r, k)
}
