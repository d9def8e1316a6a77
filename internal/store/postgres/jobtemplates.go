package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateJobTemplate implements store.Store.
func (db *DB) CreateJobTemplate(ctx context.Context, t *emr.JobTemplate, idem store.Idempotency) (*emr.JobTemplate, error) {
	var out *emr.JobTemplate
	err := db.tx(ctx, func(tx pgx.Tx) error {
		id, err := replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getJobTemplate(ctx, tx, id)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("job template %s, created with this token, was deleted: %w", id, store.ErrNotFound)
			}
			return err
		}
		doc, err := json.Marshal(t)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO job_templates (id, name, created_at, doc) VALUES ($1, $2, $3, $4)`,
			t.ID, t.Name, t.CreatedAt.UnixMilli(), string(doc))
		if isUniqueViolation(err) {
			return fmt.Errorf("job template %s exists: %w", t.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = t
		return remember(ctx, tx, idem, t.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create job template: %w", err)
	}
	return out, nil
}

// GetJobTemplate implements store.Store.
func (db *DB) GetJobTemplate(ctx context.Context, id string) (*emr.JobTemplate, error) {
	t, err := getJobTemplate(ctx, db.pool, id)
	if err != nil {
		return nil, fmt.Errorf("get job template %s: %w", id, err)
	}
	return t, nil
}

func getJobTemplate(ctx context.Context, q querier, id string) (*emr.JobTemplate, error) {
	var doc []byte
	err := q.QueryRow(ctx, `SELECT doc FROM job_templates WHERE id = $1`, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeJobTemplate(doc, "")
}

func decodeJobTemplate(doc []byte, _ string) (*emr.JobTemplate, error) {
	var t emr.JobTemplate
	return &t, json.Unmarshal(doc, &t)
}

// ListJobTemplates implements store.Store.
func (db *DB) ListJobTemplates(ctx context.Context, f store.JobTemplateFilter, p store.Page) ([]*emr.JobTemplate, string, error) {
	var w where
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := list(ctx, db, f.Scope(), `SELECT created_at, doc, '{}' FROM job_templates`, &w, p, decodeJobTemplate,
		func(t *emr.JobTemplate) string { return t.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list job templates: %w", err)
	}
	return out, next, nil
}

// DeleteJobTemplate implements store.Store.
func (db *DB) DeleteJobTemplate(ctx context.Context, id string) error {
	tag, err := db.pool.Exec(ctx, `DELETE FROM job_templates WHERE id = $1`, id)
	if err != nil {
		return fmt.Errorf("delete job template %s: %w", id, err)
	}
	if tag.RowsAffected() != 1 {
		return fmt.Errorf("delete job template %s: %w", id, store.ErrNotFound)
	}
	return nil
}
