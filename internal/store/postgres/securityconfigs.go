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
	err := db.tx(ctx, func(tx pgx.Tx) error {
		id, err := replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getSecurityConfiguration(ctx, tx, id, "")
			if errors.Is(err, store.ErrNotFound) {
				return fmt.Errorf("security configuration %s, created with this token, was deleted: %w", id, store.ErrNotFound)
			}
			return err
		}
		doc, err := json.Marshal(scDoc{sc, sc.ContainerProvider})
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO security_configurations (id, name, created_at, doc) VALUES ($1, $2, $3, $4)`,
			sc.ID, sc.Name, sc.CreatedAt.UnixMilli(), string(doc))
		if isUniqueViolation(err) {
			return fmt.Errorf("security configuration %s exists: %w", sc.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = sc
		return remember(ctx, tx, idem, sc.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create security configuration: %w", err)
	}
	return out, nil
}

// GetSecurityConfiguration implements store.Store.
func (db *DB) GetSecurityConfiguration(ctx context.Context, id string) (*emr.SecurityConfiguration, error) {
	sc, err := getSecurityConfiguration(ctx, db.pool, id, "")
	if err != nil {
		return nil, fmt.Errorf("get security configuration %s: %w", id, err)
	}
	return sc, nil
}

// getSecurityConfiguration reads one; lock is "" or a locking clause.
func getSecurityConfiguration(ctx context.Context, q querier, id, lock string) (*emr.SecurityConfiguration, error) {
	var doc []byte
	err := q.QueryRow(ctx, `SELECT doc FROM security_configurations WHERE id = $1`+lock, id).Scan(&doc)
	if errors.Is(err, pgx.ErrNoRows) {
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

// DeleteSecurityConfiguration implements store.Store. The row is locked
// first, so a virtual cluster being created with it either is in before
// the check below or finds it gone.
func (db *DB) DeleteSecurityConfiguration(ctx context.Context, id string) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		if _, err := getSecurityConfiguration(ctx, tx, id, " FOR UPDATE"); err != nil {
			return err
		}
		var user string
		err := tx.QueryRow(ctx, `SELECT id FROM virtual_clusters WHERE security_configuration_id = $1 AND state <> 'TERMINATED' LIMIT 1`, id).Scan(&user)
		if err == nil {
			return fmt.Errorf("used by virtual cluster %s: %w", user, store.ErrConflict)
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		_, err = tx.Exec(ctx, `DELETE FROM security_configurations WHERE id = $1`, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("delete security configuration %s: %w", id, err)
	}
	return nil
}
