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

// CreateVirtualCluster implements store.Store.
func (db *DB) CreateVirtualCluster(ctx context.Context, vc *emr.VirtualCluster, idem store.Idempotency) (*emr.VirtualCluster, error) {
	var out *emr.VirtualCluster
	err := db.tx(ctx, func(tx pgx.Tx) error {
		id, err := replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getVirtualCluster(ctx, tx, id, "")
			return err
		}
		if sc := vc.SecurityConfigurationID; sc != "" {
			// FOR SHARE: DeleteSecurityConfiguration waits for this cluster.
			if _, err := getSecurityConfiguration(ctx, tx, sc, " FOR SHARE"); err != nil {
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
		_, err = tx.Exec(ctx, `INSERT INTO virtual_clusters (id, name, state, provider_id, namespace, created_at, doc, tags, security_configuration_id)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
			vc.ID, vc.Name, vc.State, vc.ContainerProvider.ID, vc.ContainerProvider.Namespace(), vc.CreatedAt.UnixMilli(), doc, tags, vc.SecurityConfigurationID)
		if isUniqueViolation(err) {
			return fmt.Errorf("namespace %s of cluster %s: %w", vc.ContainerProvider.Namespace(), vc.ContainerProvider.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = vc
		return remember(ctx, tx, idem, vc.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create virtual cluster: %w", err)
	}
	return out, nil
}

// GetVirtualCluster implements store.Store.
func (db *DB) GetVirtualCluster(ctx context.Context, id string) (*emr.VirtualCluster, error) {
	vc, err := getVirtualCluster(ctx, db.pool, id, "")
	if err != nil {
		return nil, fmt.Errorf("get virtual cluster %s: %w", id, err)
	}
	return vc, nil
}

// getVirtualCluster reads one virtual cluster; lock is "" or a locking clause.
func getVirtualCluster(ctx context.Context, q querier, id, lock string) (*emr.VirtualCluster, error) {
	var doc []byte
	var tags string
	err := q.QueryRow(ctx, `SELECT doc, tags FROM virtual_clusters WHERE id = $1`+lock, id).Scan(&doc, &tags)
	if errors.Is(err, pgx.ErrNoRows) {
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

// SetVirtualClusterState implements store.Store. The row is locked from
// the read to the write, so runs and endpoints being created in the
// cluster (which hold it FOR SHARE) are in before it changes.
func (db *DB) SetVirtualClusterState(ctx context.Context, id string, state emr.VirtualClusterState) error {
	err := db.tx(ctx, func(tx pgx.Tx) error {
		vc, err := getVirtualCluster(ctx, tx, id, " FOR UPDATE")
		if err != nil {
			return err
		}
		vc.State = state
		doc, err := vcDoc(vc)
		if err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `UPDATE virtual_clusters SET state = $1, doc = $2 WHERE id = $3`, state, doc, id)
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
