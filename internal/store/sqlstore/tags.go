package sqlstore

import (
	"context"
	"fmt"
	"maps"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// tagged is where the tags of a resource kind are: the table and the
// condition that picks one row of it.
func tagged(r emr.ResourceRef) (table, cond string, args []any, err error) {
	switch r.Kind {
	case emr.KindVirtualCluster:
		return "virtual_clusters", "id = ?", []any{r.VirtualClusterID}, nil
	case emr.KindJobRun:
		return "job_runs", "id = ? AND virtual_cluster_id = ?", []any{r.ID, r.VirtualClusterID}, nil
	case emr.KindEndpoint:
		return "managed_endpoints", "id = ? AND virtual_cluster_id = ?", []any{r.ID, r.VirtualClusterID}, nil
	}
	return "", "", nil, fmt.Errorf("%s: %w", r.Kind, store.ErrNotFound)
}

// readTags reads the tags of r; lock is "" or a locking clause.
func readTags(ctx context.Context, c conn, r emr.ResourceRef, lock string) (map[string]string, error) {
	table, cond, args, err := tagged(r)
	if err != nil {
		return nil, err
	}
	var tags string
	if err := notFound(c.row(ctx, `SELECT tags FROM `+table+` WHERE `+cond+lock, args...).Scan(&tags)); err != nil {
		return nil, fmt.Errorf("%s %q of virtual cluster %q: %w", r.Kind, r.ID, r.VirtualClusterID, err)
	}
	return store.DecodeTags(tags)
}

// Tags implements store.Store.
func (db *DB) Tags(ctx context.Context, r emr.ResourceRef) (map[string]string, error) {
	tags, err := readTags(ctx, db.reader(), r, "")
	return tags, wrap(err, "tags")
}

// TagResource implements store.Store.
func (db *DB) TagResource(ctx context.Context, r emr.ResourceRef, tags map[string]string) error {
	return db.retag(ctx, r, func(cur map[string]string) { maps.Copy(cur, tags) })
}

// UntagResource implements store.Store.
func (db *DB) UntagResource(ctx context.Context, r emr.ResourceRef, keys []string) error {
	return db.retag(ctx, r, func(cur map[string]string) {
		for _, k := range keys {
			delete(cur, k)
		}
	})
}

// retag rewrites the tags column of r with what change makes of it, the
// row locked from the read to the write (so concurrent tag changes apply
// one after the other). A job run's finished usage records move to its new
// tags in the rollups, under the run's rollup lock.
func (db *DB) retag(ctx context.Context, r emr.ResourceRef, change func(map[string]string)) error {
	err := db.tx(ctx, func(c conn) error {
		if r.Kind == emr.KindJobRun {
			if err := c.lock(ctx, runLockKey(r.ID)); err != nil {
				return err
			}
		}
		cur, err := readTags(ctx, c, r, c.d.ForUpdate)
		if err != nil {
			return err
		}
		if cur == nil {
			cur = map[string]string{}
		}
		change(cur)
		if len(cur) > emr.MaxTags {
			return fmt.Errorf("%d tags: %w", len(cur), store.ErrTooManyTags)
		}
		enc := store.EncodeTags(cur)
		table, cond, args, _ := tagged(r)
		if _, err := c.exec(ctx, `UPDATE `+table+` SET tags = ? WHERE `+cond, append([]any{enc}, args...)...); err != nil {
			return err
		}
		if r.Kind == emr.KindJobRun {
			return moveRollups(ctx, c, r.ID, enc)
		}
		return nil
	})
	return wrap(err, "tag %s", r.Kind)
}
