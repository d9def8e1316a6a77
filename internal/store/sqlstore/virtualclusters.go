package sqlstore

import (
	"context"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateVirtualCluster implements store.Store.
func (db *DB) CreateVirtualCluster(ctx context.Context, vc *emr.VirtualCluster, idem store.Idempotency) (*emr.VirtualCluster, error) {
	return create(ctx, db, "virtual cluster", idem, vc, vc.ID, func(c conn, id string) (*emr.VirtualCluster, error) {
		return virtualClusters.get(ctx, c, "", "id = ?", id)
	}, func(c conn) error {
		if sc := vc.SecurityConfigurationID; sc != "" {
			// Locked: DeleteSecurityConfiguration waits for this cluster.
			if _, err := securityConfigurations.get(ctx, c, c.d.ForShare, "id = ?", sc); err != nil {
				return fmt.Errorf("security configuration %s: %w", sc, err)
			}
		}
		doc, err := vcDoc(vc)
		if err != nil {
			return err
		}
		ns := vc.ContainerProvider.Namespace()
		return c.execUnique(ctx, fmt.Errorf("namespace %s of cluster %s: %w", ns, vc.ContainerProvider.ID, store.ErrConflict),
			`INSERT INTO virtual_clusters (id, name, state, provider_id, namespace, created_at, doc, tags, security_configuration_id)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			vc.ID, vc.Name, vc.State, vc.ContainerProvider.ID, ns, vc.CreatedAt.UnixMilli(), doc, store.EncodeTags(vc.Tags), vc.SecurityConfigurationID)
	})
}

// GetVirtualCluster implements store.Store.
func (db *DB) GetVirtualCluster(ctx context.Context, id string) (*emr.VirtualCluster, error) {
	vc, err := virtualClusters.get(ctx, db.reader(), "", "id = ?", id)
	return vc, wrap(err, "get virtual cluster %s", id)
}

// ListVirtualClusters implements store.Store.
func (db *DB) ListVirtualClusters(ctx context.Context, f store.VirtualClusterFilter, p store.Page) ([]*emr.VirtualCluster, string, error) {
	var w where
	w.in("state", args(f.States))
	if f.ProviderID != "" {
		w.add("provider_id = ?", f.ProviderID)
	}
	w.created(f.CreatedAfter, f.CreatedBefore)
	if f.SecurityConfigurationID != "" {
		w.add("security_configuration_id = ?", f.SecurityConfigurationID)
	}
	out, next, err := virtualClusters.list(ctx, db, f.Scope(), &w, p)
	return out, next, wrap(err, "list virtual clusters")
}

// SetVirtualClusterState implements store.Store. The row is locked from
// the read to the write, so runs and endpoints being created in the
// cluster (which lock it too) are in before it changes.
func (db *DB) SetVirtualClusterState(ctx context.Context, id string, state emr.VirtualClusterState) error {
	_, err := db.updateVirtualCluster(ctx, id, func(vc *emr.VirtualCluster) { vc.State = state })
	return wrap(err, "set state of virtual cluster %s", id)
}

// SetVirtualClusterScheduler implements store.Store.
func (db *DB) SetVirtualClusterScheduler(ctx context.Context, id string, cfg *emr.SchedulerConfiguration) (*emr.VirtualCluster, error) {
	vc, err := db.updateVirtualCluster(ctx, id, func(vc *emr.VirtualCluster) { vc.SchedulerConfiguration = cfg })
	return vc, wrap(err, "set scheduler of virtual cluster %s", id)
}

// updateVirtualCluster writes what change makes of a virtual cluster,
// locked from the read to the write.
func (db *DB) updateVirtualCluster(ctx context.Context, id string, change func(*emr.VirtualCluster)) (*emr.VirtualCluster, error) {
	var vc *emr.VirtualCluster
	err := db.tx(ctx, func(c conn) error {
		var err error
		if vc, err = virtualClusters.get(ctx, c, c.d.ForUpdate, "id = ?", id); err != nil {
			return err
		}
		change(vc)
		doc, err := vcDoc(vc)
		if err != nil {
			return err
		}
		ns := vc.ContainerProvider.Namespace()
		return c.execUnique(ctx, fmt.Errorf("namespace %s of cluster %s is taken: %w", ns, vc.ContainerProvider.ID, store.ErrConflict),
			`UPDATE virtual_clusters SET state = ?, doc = ? WHERE id = ?`, vc.State, doc, id)
	})
	if err != nil {
		return nil, err
	}
	return vc, nil
}
