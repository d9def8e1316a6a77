package sqlstore

import (
	"context"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/store"
)

// CreateManagedEndpoint implements store.Store.
func (db *DB) CreateManagedEndpoint(ctx context.Context, e *emr.Endpoint, idem store.Idempotency) (*emr.Endpoint, error) {
	return create(ctx, db, "managed endpoint", idem, e, e.ID, func(c conn, id string) (*emr.Endpoint, error) {
		return managedEndpoints.get(ctx, c, "", "id = ? AND virtual_cluster_id = ?", id, e.VirtualClusterID)
	}, func(c conn) error {
		// Locked: the cluster cannot change state until the endpoint is in.
		vc, err := virtualClusters.get(ctx, c, c.d.ForShare, "id = ?", e.VirtualClusterID)
		if err != nil {
			return fmt.Errorf("virtual cluster %s: %w", e.VirtualClusterID, err)
		}
		if vc.State != emr.VirtualClusterRunning {
			return fmt.Errorf("virtual cluster %s is %s: %w", vc.ID, vc.State, store.ErrConflict)
		}
		doc, err := endpointDocOf(e)
		if err != nil {
			return err
		}
		return c.execUnique(ctx, fmt.Errorf("managed endpoint %s exists: %w", e.ID, store.ErrConflict),
			`INSERT INTO managed_endpoints (id, virtual_cluster_id, name, type, state, created_at, tags, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			e.ID, e.VirtualClusterID, e.Name, e.Type, e.State, e.CreatedAt.UnixMilli(), store.EncodeTags(e.Tags), doc)
	})
}

// GetManagedEndpoint implements store.Store.
func (db *DB) GetManagedEndpoint(ctx context.Context, virtualClusterID, id string) (*emr.Endpoint, error) {
	e, err := managedEndpoints.get(ctx, db.reader(), "", "id = ? AND virtual_cluster_id = ?", id, virtualClusterID)
	return e, wrap(err, "get managed endpoint %s", id)
}

// ListManagedEndpoints implements store.Store.
func (db *DB) ListManagedEndpoints(ctx context.Context, f store.ManagedEndpointFilter, p store.Page) ([]*emr.Endpoint, string, error) {
	var w where
	w.add("virtual_cluster_id = ?", f.VirtualClusterID)
	w.in("state", args(f.States))
	w.in("type", args(f.Types))
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := managedEndpoints.list(ctx, db, f.Scope(), &w, p)
	return out, next, wrap(err, "list managed endpoints")
}

// UpdateManagedEndpoint implements store.Store.
func (db *DB) UpdateManagedEndpoint(ctx context.Context, e *emr.Endpoint, from emr.EndpointState) error {
	doc, err := endpointDocOf(e) // the tags column is TagResource's alone
	if err == nil {
		err = db.writer().execOne(ctx, fmt.Errorf("from %s: %w", from, store.ErrConflict),
			`UPDATE managed_endpoints SET state = ?, doc = ? WHERE id = ? AND virtual_cluster_id = ? AND state = ?`,
			e.State, doc, e.ID, e.VirtualClusterID, from)
	}
	return wrap(err, "update managed endpoint %s", e.ID)
}
