package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateJobTemplate implements store.Store.
func (db *DB) CreateJobTemplate(ctx context.Context, t *emr.JobTemplate, idem store.Idempotency) (*emr.JobTemplate, error) {
	var out *emr.JobTemplate
	err := db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.replayed(ctx, tx, idem)
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
		_, err = tx.ExecContext(ctx, `INSERT INTO job_templates (id, name, created_at, doc) VALUES (?, ?, ?, ?)`,
			t.ID, t.Name, t.CreatedAt.UnixMilli(), doc)
		if isUniqueViolation(err) {
			return fmt.Errorf("job template %s exists: %w", t.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = t
		return db.remember(ctx, tx, idem, t.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create job template: %w", err)
	}
	return out, nil
}

// GetJobTemplate implements store.Store.
func (db *DB) GetJobTemplate(ctx context.Context, id string) (*emr.JobTemplate, error) {
	t, err := getJobTemplate(ctx, db.read, id)
	if err != nil {
		return nil, fmt.Errorf("get job template %s: %w", id, err)
	}
	return t, nil
}

// querier is a *sql.DB or a *sql.Tx.
type querier interface {
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func getJobTemplate(ctx context.Context, q querier, id string) (*emr.JobTemplate, error) {
	var doc []byte
	err := q.QueryRowContext(ctx, `SELECT doc FROM job_templates WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
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
	res, err := db.write.ExecContext(ctx, `DELETE FROM job_templates WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("delete job template %s: %w", id, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("delete job template %s: %w", id, store.ErrNotFound)
	}
	return nil
}
