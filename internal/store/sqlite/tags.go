package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"maps"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// Tags live in a `tags` column (a JSON object) beside each resource's
// document, never in the document: the API's TagResource writes only the
// column and state changes only the document, so neither overwrites the
// other. Readers put the two together.

// vcDoc, runDoc: the JSON documents of resources, without their tags.
func vcDoc(vc *emr.VirtualCluster) ([]byte, error) {
	c := *vc
	c.Tags = nil
	c.SchedulerStatus = nil // computed when described
	return json.Marshal(&c)
}

func runDoc(run *emr.JobRun) ([]byte, error) {
	c := *run
	c.Tags = nil
	return json.Marshal(&c)
}

// tagged is where the tags of a resource kind are: the table and the
// condition that picks one row of it, given (id, virtual cluster id).
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

func readTags(ctx context.Context, q querier, r emr.ResourceRef) (map[string]string, error) {
	table, cond, args, err := tagged(r)
	if err != nil {
		return nil, err
	}
	var tags string
	err = q.QueryRowContext(ctx, `SELECT tags FROM `+table+` WHERE `+cond, args...).Scan(&tags)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("%s %q of virtual cluster %q: %w", r.Kind, r.ID, r.VirtualClusterID, store.ErrNotFound)
	}
	if err != nil {
		return nil, err
	}
	return store.DecodeTags(tags)
}

// Tags implements store.Store.
func (db *DB) Tags(ctx context.Context, r emr.ResourceRef) (map[string]string, error) {
	tags, err := readTags(ctx, db.read, r)
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

// retag rewrites the tags column of r with what change makes of it, in one
// write transaction (so concurrent tag changes apply one after the other).
func (db *DB) retag(ctx context.Context, r emr.ResourceRef, change func(map[string]string)) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		cur, err := readTags(ctx, tx, r)
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
		if _, err = tx.ExecContext(ctx, `UPDATE `+table+` SET tags = ? WHERE `+cond, append([]any{enc}, args...)...); err != nil {
			return err
		}
		if r.Kind == emr.KindJobRun { // its records' rollups follow its tags
			return moveRollups(ctx, tx, r.ID, enc)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("tag %s: %w", r.Kind, err)
	}
	return nil
}
