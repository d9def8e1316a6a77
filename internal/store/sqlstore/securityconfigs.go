package sqlstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateSecurityConfiguration implements store.Store.
func (db *DB) CreateSecurityConfiguration(ctx context.Context, sc *emr.SecurityConfiguration, idem store.Idempotency) (*emr.SecurityConfiguration, error) {
	return create(ctx, db, "security configuration", idem, sc, sc.ID, func(c conn, id string) (*emr.SecurityConfiguration, error) {
		return securityConfigurations.get(ctx, c, "", "id = ?", id)
	}, func(c conn) error {
		doc, err := marshal(scDoc{sc, sc.ContainerProvider})
		if err != nil {
			return err
		}
		return c.execUnique(ctx, fmt.Errorf("security configuration %s exists: %w", sc.ID, store.ErrConflict),
			`INSERT INTO security_configurations (id, name, created_at, doc) VALUES (?, ?, ?, ?)`, sc.ID, sc.Name, sc.CreatedAt.UnixMilli(), doc)
	})
}

// GetSecurityConfiguration implements store.Store.
func (db *DB) GetSecurityConfiguration(ctx context.Context, id string) (*emr.SecurityConfiguration, error) {
	sc, err := securityConfigurations.get(ctx, db.reader(), "", "id = ?", id)
	return sc, wrap(err, "get security configuration %s", id)
}

// ListSecurityConfigurations implements store.Store.
func (db *DB) ListSecurityConfigurations(ctx context.Context, f store.SecurityConfigurationFilter, p store.Page) ([]*emr.SecurityConfiguration, string, error) {
	var w where
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := securityConfigurations.list(ctx, db, f.Scope(), &w, p)
	return out, next, wrap(err, "list security configurations")
}

// DeleteSecurityConfiguration implements store.Store. The row is locked
// first, so a virtual cluster being created with it (which locks it too)
// either is in before the check below or finds it gone.
func (db *DB) DeleteSecurityConfiguration(ctx context.Context, id string) error {
	err := db.tx(ctx, func(c conn) error {
		if _, err := securityConfigurations.get(ctx, c, c.d.ForUpdate, "id = ?", id); err != nil {
			return err
		}
		var user string
		err := c.row(ctx, `SELECT id FROM virtual_clusters WHERE security_configuration_id = ? AND state <> 'TERMINATED' LIMIT 1`, id).Scan(&user)
		if err == nil {
			return fmt.Errorf("used by virtual cluster %s: %w", user, store.ErrConflict)
		}
		if err := notFound(err); !errors.Is(err, store.ErrNotFound) {
			return err
		}
		return c.execOne(ctx, store.ErrNotFound, `DELETE FROM security_configurations WHERE id = ?`, id)
	})
	return wrap(err, "delete security configuration %s", id)
}
