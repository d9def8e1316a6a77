package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Tags live in a `tags` column (a JSON object) beside each resource's
// document, never in the document: TagResource writes only the column and
// state changes only the document, so neither overwrites the other.
// Readers put the two together. Documents are written as strings (JSON
// escapes every control character, so they never hold a NUL).

// vcDoc, runDoc: the JSON documents of resources, without their tags.
func vcDoc(vc *emr.VirtualCluster) (string, error) {
	c := *vc
	c.Tags = nil
	c.SchedulerStatus = nil // computed when described
	b, err := json.Marshal(&c)
	return string(b), err
}

func runDoc(run *emr.JobRun) (string, error) {
	c := *run
	c.Tags = nil
	b, err := json.Marshal(&c)
	return string(b), err
}

// tagged is where the tags of a resource kind are: the table and the
// condition that picks one row of it.
func tagged(r emr.ResourceRef) (table, cond string, args []any, err error) {
	switch r.Kind {
	case emr.KindVirtualCluster:
		return "virtual_clusters", "id = $1", []any{r.VirtualClusterID}, nil
	case emr.KindJobRun:
		return "job_runs", "id = $1 AND virtual_cluster_id = $2", []any{r.ID, r.VirtualClusterID}, nil
	case emr.KindEndpoint:
		return "managed_endpoints", "id = $1 AND virtual_cluster_id = $2", []any{r.ID, r.VirtualClusterID}, nil
	}
	return "", "", nil, fmt.Errorf("%s: %w", r.Kind, store.ErrNotFound)
}

// readTags reads the tags of r; lock is "" or a locking clause (FOR UPDATE).
func readTags(ctx context.Context, q querier, r emr.ResourceRef, lock string) (map[string]string, error) {
	table, cond, args, err := tagged(r)
	if err != nil {
		return nil, err
	}
	var tags string
	err = q.QueryRow(ctx, `SELECT tags FROM `+table+` WHERE `+cond+lock, args...).Scan(&tags)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, fmt.Errorf("%s %q of virtual cluster %q: %w", r.Kind, r.ID, r.VirtualClusterID, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return store.DecodeTags(tags)
}

// Tags implements store.Store.
func (db *DB) Tags(ctx context.Context, r emr.ResourceRef) (map[string]string, error) {
	tags, err := readTags(ctx, db.pool, r, "")
	if err != nil {
		return nil, fmt.Errorf("tags: %w", err)
	}
	return tags, nil
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
// one after the other).
func (db *DB) retag(ctx context.Context, r emr.ResourceRef, change func(map[string]string)) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if r.Kind == emr.KindJobRun { // its records' rollups follow its tags
			if err := lockRun(ctx, tx, r.ID); err != nil {
				return err
			}
		}
		cur, err := readTags(ctx, tx, r, " FOR UPDATE")
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
		enc, err := store.EncodeTags(cur)
		if err != nil {
			return err
		}
		table, cond, args, _ := tagged(r)
		// The tags are the placeholder after those of the condition.
		if _, err = tx.Exec(ctx, `UPDATE `+table+` SET tags = $`+fmt.Sprint(len(args)+1)+` WHERE `+cond, append(args, enc)...); err != nil {
			return err
		}
		if r.Kind == emr.KindJobRun {
			return moveRollups(ctx, tx, r.ID, enc)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tag %s: %w", r.Kind, err)
	}
	return nil
}
