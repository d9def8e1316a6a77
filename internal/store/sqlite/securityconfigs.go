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

// scDoc is the stored document of a security configuration: the resource
// as the API returns it, and the container provider it was created with,
// which the API does not return.
type scDoc struct {
	*emr.SecurityConfiguration
	ContainerProvider *emr.ContainerProvider `json:"containerProvider,omitempty"`
}

// CreateSecurityConfiguration implements store.Store.
func (db *DB) CreateSecurityConfiguration(ctx context.Context, sc *emr.SecurityConfiguration, idem store.Idempotency) (*emr.SecurityConfiguration, error) {
	var out *emr.SecurityConfiguration
	err := db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getSecurityConfiguration(ctx, tx, id)
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("security configuration %s, created with this token, was deleted: %w", id, store.ErrNotFound)
			}
			return err
		}
		doc, err := json.Marshal(scDoc{sc, sc.ContainerProvider})
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO security_configurations (id, name, created_at, doc) VALUES (?, ?, ?, ?)`,
			sc.ID, sc.Name, sc.CreatedAt.UnixMilli(), doc)
		if isUniqueViolation(err) {
			return fmt.Errorf("security configuration %s exists: %w", sc.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = sc
		return db.remember(ctx, tx, idem, sc.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create security configuration: %w", err)
	}
	return out, nil
}

// GetSecurityConfiguration implements store.Store.
func (db *DB) GetSecurityConfiguration(ctx context.Context, id string) (*emr.SecurityConfiguration, error) {
	sc, err := getSecurityConfiguration(ctx, db.read, id)
	if err != nil {
		return nil, fmt.Errorf("get security configuration %s: %w", id, err)
	}
	return sc, nil
}

func getSecurityConfiguration(ctx context.Context, q querier, id string) (*emr.SecurityConfiguration, error) {
	var doc []byte
	err := q.QueryRowContext(ctx, `SELECT doc FROM security_configurations WHERE id = ?`, id).Scan(&doc)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeSecurityConfiguration(doc, "")
}

func decodeSecurityConfiguration(doc []byte, _ string) (*emr.SecurityConfiguration, error) {
	d := scDoc{SecurityConfiguration: new(emr.SecurityConfiguration)}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	d.SecurityConfiguration.ContainerProvider = d.ContainerProvider
	return d.SecurityConfiguration, nil
}

// ListSecurityConfigurations implements store.Store.
func (db *DB) ListSecurityConfigurations(ctx context.Context, f store.SecurityConfigurationFilter, p store.Page) ([]*emr.SecurityConfiguration, string, error) {
	var w where
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := list(ctx, db, f.Scope(), `SELECT created_at, doc, '{}' FROM security_configurations`, &w, p, decodeSecurityConfiguration,
		func(sc *emr.SecurityConfiguration) string { return sc.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list security configurations: %w", err)
	}
	return out, next, nil
}

// DeleteSecurityConfiguration implements store.Store.
func (db *DB) DeleteSecurityConfiguration(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		var user string
		err := tx.QueryRowContext(ctx, `SELECT id FROM virtual_clusters WHERE security_configuration_id = ? AND state <> 'TERMINATED' LIMIT 1`, id).Scan(&user)
		if err == nil {
			return fmt.Errorf("used by virtual cluster %s: %w", user, store.ErrConflict)
		}
		if !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM security_configurations WHERE id = ?`, id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return store.ErrNotFound
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("delete security configuration %s: %w", id, err)
	}
	return nil
}
