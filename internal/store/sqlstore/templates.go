package sqlstore

import (
	"context"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateJobTemplate implements store.Store.
func (db *DB) CreateJobTemplate(ctx context.Context, t *emr.JobTemplate, idem store.Idempotency) (*emr.JobTemplate, error) {
	return create(ctx, db, "job template", idem, t, t.ID, func(c conn, id string) (*emr.JobTemplate, error) {
		return jobTemplates.get(ctx, c, "", "id = ?", id)
	}, func(c conn) error {
		doc, err := marshal(t)
		if err != nil {
			return err
		}
		return c.execUnique(ctx, fmt.Errorf("job template %s exists: %w", t.ID, store.ErrConflict),
			`INSERT INTO job_templates (id, name, created_at, doc) VALUES (?, ?, ?, ?)`, t.ID, t.Name, t.CreatedAt.UnixMilli(), doc)
	})
}

// GetJobTemplate implements store.Store.
func (db *DB) GetJobTemplate(ctx context.Context, id string) (*emr.JobTemplate, error) {
	t, err := jobTemplates.get(ctx, db.reader(), "", "id = ?", id)
	return t, wrap(err, "get job template %s", id)
}

// ListJobTemplates implements store.Store.
func (db *DB) ListJobTemplates(ctx context.Context, f store.JobTemplateFilter, p store.Page) ([]*emr.JobTemplate, string, error) {
	var w where
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := jobTemplates.list(ctx, db, f.Scope(), &w, p)
	return out, next, wrap(err, "list job templates")
}

// DeleteJobTemplate implements store.Store.
func (db *DB) DeleteJobTemplate(ctx context.Context, id string) error {
	err := db.writer().execOne(ctx, store.ErrNotFound, `DELETE FROM job_templates WHERE id = ?`, id)
	return wrap(err, "delete job template %s", id)
}
