package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateVirtualCluster implements store.Store.
func (db *DB) CreateVirtualCluster(ctx context.Context, vc *emr.VirtualCluster, idem store.Idempotency) (*emr.VirtualCluster, error) {
	var out *emr.VirtualCluster
	err := db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getVirtualCluster(ctx, tx.StmtContext(ctx, db.stmt.txGetCluster), id)
			return err
		}
		if sc := vc.SecurityConfigurationID; sc != "" {
			if _, err := getSecurityConfiguration(ctx, tx, sc); err != nil {
				return fmt.Errorf("security configuration %s: %w", sc, err)
			}
		}
		doc, err := vcDoc(vc)
		if err != nil {
			return err
		}
		tags, err := store.EncodeTags(vc.Tags)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO virtual_clusters (id, name, state, provider_id, namespace, created_at, doc, tags, security_configuration_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			vc.ID, vc.Name, vc.State, vc.ContainerProvider.ID, vc.ContainerProvider.Namespace(), vc.CreatedAt.UnixMilli(), doc, tags, vc.SecurityConfigurationID)
		if isUniqueViolation(err) {
			return fmt.Errorf("namespace %s of cluster %s: %w", vc.ContainerProvider.Namespace(), vc.ContainerProvider.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = vc
		return db.remember(ctx, tx, idem, vc.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create virtual cluster: %w", err)
	}
	return out, nil
}

// GetVirtualCluster implements store.Store.
func (db *DB) GetVirtualCluster(ctx context.Context, id string) (*emr.VirtualCluster, error) {
	vc, err := getVirtualCluster(ctx, db.stmt.getCluster, id)
	if err != nil {
		return nil, fmt.Errorf("get virtual cluster %s: %w", id, err)
	}
	return vc, nil
}

// getVirtualCluster runs sqlGetCluster prepared as stmt.
func getVirtualCluster(ctx context.Context, stmt *sql.Stmt, id string) (*emr.VirtualCluster, error) {
	var doc []byte
	var tags string
	err := stmt.QueryRowContext(ctx, id).Scan(&doc, &tags)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeVirtualCluster(doc, tags)
}

func decodeVirtualCluster(doc []byte, tags string) (*emr.VirtualCluster, error) {
	var vc emr.VirtualCluster
	if err := json.Unmarshal(doc, &vc); err != nil {
		return nil, err
	}
	var err error
	vc.Tags, err = store.DecodeTags(tags)
	return &vc, err
}

// ListVirtualClusters implements store.Store.
func (db *DB) ListVirtualClusters(ctx context.Context, f store.VirtualClusterFilter, p store.Page) ([]*emr.VirtualCluster, string, error) {
	var w where
	states := make([]string, len(f.States))
	for i, s := range f.States {
		states[i] = string(s)
	}
	w.in("state", states)
	if f.ProviderID != "" {
		w.add("provider_id = ?", f.ProviderID)
	}
	w.created(f.CreatedAfter, f.CreatedBefore)
	if f.SecurityConfigurationID != "" {
		w.add("security_configuration_id = ?", f.SecurityConfigurationID)
	}
	out, next, err := list(ctx, db, f.Scope(), `SELECT created_at, doc, tags FROM virtual_clusters`, &w, p, decodeVirtualCluster,
		func(vc *emr.VirtualCluster) string { return vc.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list virtual clusters: %w", err)
	}
	return out, next, nil
}

// SetVirtualClusterState implements store.Store.
func (db *DB) SetVirtualClusterState(ctx context.Context, id string, state emr.VirtualClusterState) error {
	err := db.tx(ctx, func(tx *sql.Tx) error {
		vc, err := getVirtualCluster(ctx, tx.StmtContext(ctx, db.stmt.txGetCluster), id)
		if err != nil {
			return err
		}
		vc.State = state
		doc, err := vcDoc(vc)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `UPDATE virtual_clusters SET state = ?, doc = ? WHERE id = ?`, state, doc, id)
		if isUniqueViolation(err) {
			return fmt.Errorf("namespace %s of cluster %s is taken: %w", vc.ContainerProvider.Namespace(), vc.ContainerProvider.ID, store.ErrConflict)
		}
		return err
	})
	if err != nil {
		return fmt.Errorf("set state of virtual cluster %s: %w", id, err)
	}
	return nil
}

// SetVirtualClusterScheduler implements store.Store.
func (db *DB) SetVirtualClusterScheduler(ctx context.Context, id string, cfg *emr.SchedulerConfiguration) (*emr.VirtualCluster, error) {
	var out *emr.VirtualCluster
	err := db.tx(ctx, func(tx *sql.Tx) error {
		vc, err := getVirtualCluster(ctx, tx.StmtContext(ctx, db.stmt.txGetCluster), id)
		if err != nil {
			return err
		}
		vc.SchedulerConfiguration = cfg
		doc, err := vcDoc(vc)
		if err != nil {
			return err
		}
		if _, err = tx.ExecContext(ctx, `UPDATE virtual_clusters SET doc = ? WHERE id = ?`, doc, id); err != nil {
			return err
		}
		out = vc
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("set scheduler of virtual cluster %s: %w", id, err)
	}
	return out, nil
}

func isUniqueViolation(err error) bool {
	return err != nil && strings.Contains(err.Error(), "UNIQUE constraint failed")
}
