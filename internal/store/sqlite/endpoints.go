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

// endpointDoc is the stored document of a managed endpoint: the resource
// as the API returns it without its tags (they have their own column), and
// the idle timeout it was created with, which the API does not return.
type endpointDoc struct {
	*emr.Endpoint
	SessionIdleTimeoutInMinutes *int `json:"sessionIdleTimeoutInMinutes,omitempty"`
}

func encodeEndpoint(e *emr.Endpoint) ([]byte, error) {
	c := *e
	c.Tags = nil
	return json.Marshal(endpointDoc{&c, e.SessionIdleTimeoutInMinutes})
}

func decodeEndpoint(doc []byte, tags string) (*emr.Endpoint, error) {
	d := endpointDoc{Endpoint: new(emr.Endpoint)}
	if err := json.Unmarshal(doc, &d); err != nil {
		return nil, err
	}
	d.Endpoint.SessionIdleTimeoutInMinutes = d.SessionIdleTimeoutInMinutes
	var err error
	d.Endpoint.Tags, err = store.DecodeTags(tags)
	return d.Endpoint, err
}

// CreateManagedEndpoint implements store.Store.
func (db *DB) CreateManagedEndpoint(ctx context.Context, e *emr.Endpoint, idem store.Idempotency) (*emr.Endpoint, error) {
	var out *emr.Endpoint
	err := db.tx(ctx, func(tx *sql.Tx) error {
		id, err := db.replayed(ctx, tx, idem)
		if err != nil {
			return err
		}
		if id != "" {
			out, err = getManagedEndpoint(ctx, tx, e.VirtualClusterID, id)
			return err
		}
		var state emr.VirtualClusterState
		err = tx.StmtContext(ctx, db.stmt.clusterState).QueryRowContext(ctx, e.VirtualClusterID).Scan(&state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("virtual cluster %s: %w", e.VirtualClusterID, store.ErrNotFound)
		}
		if err != nil {
			return err
		}
		if state != emr.VirtualClusterRunning {
			return fmt.Errorf("virtual cluster %s is %s: %w", e.VirtualClusterID, state, store.ErrConflict)
		}
		doc, err := encodeEndpoint(e)
		if err != nil {
			return err
		}
		tags, err := store.EncodeTags(e.Tags)
		if err != nil {
			return err
		}
		_, err = tx.ExecContext(ctx, `INSERT INTO managed_endpoints (id, virtual_cluster_id, name, type, state, created_at, tags, doc)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.ID, e.VirtualClusterID, e.Name, e.Type, e.State, e.CreatedAt.UnixMilli(), tags, doc)
		if isUniqueViolation(err) {
			return fmt.Errorf("managed endpoint %s exists: %w", e.ID, store.ErrConflict)
		}
		if err != nil {
			return err
		}
		out = e
		return db.remember(ctx, tx, idem, e.ID)
	})
	if err != nil {
		return nil, fmt.Errorf("create managed endpoint: %w", err)
	}
	return out, nil
}

// GetManagedEndpoint implements store.Store.
func (db *DB) GetManagedEndpoint(ctx context.Context, virtualClusterID, id string) (*emr.Endpoint, error) {
	e, err := getManagedEndpoint(ctx, db.read, virtualClusterID, id)
	if err != nil {
		return nil, fmt.Errorf("get managed endpoint %s: %w", id, err)
	}
	return e, nil
}

func getManagedEndpoint(ctx context.Context, q querier, virtualClusterID, id string) (*emr.Endpoint, error) {
	var doc []byte
	var tags string
	err := q.QueryRowContext(ctx, `SELECT doc, tags FROM managed_endpoints WHERE id = ? AND virtual_cluster_id = ?`, id, virtualClusterID).Scan(&doc, &tags)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, store.ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	return decodeEndpoint(doc, tags)
}

// ListManagedEndpoints implements store.Store.
func (db *DB) ListManagedEndpoints(ctx context.Context, f store.ManagedEndpointFilter, p store.Page) ([]*emr.Endpoint, string, error) {
	var w where
	w.add("virtual_cluster_id = ?", f.VirtualClusterID)
	states := make([]string, len(f.States))
	for i, s := range f.States {
		states[i] = string(s)
	}
	w.in("state", states)
	w.in("type", f.Types)
	w.created(f.CreatedAfter, f.CreatedBefore)
	out, next, err := list(ctx, db, f.Scope(), `SELECT created_at, doc, tags FROM managed_endpoints`, &w, p, decodeEndpoint,
		func(e *emr.Endpoint) string { return e.ID })
	if err != nil {
		return nil, "", fmt.Errorf("list managed endpoints: %w", err)
	}
	return out, next, nil
}

// UpdateManagedEndpoint implements store.Store.
func (db *DB) UpdateManagedEndpoint(ctx context.Context, e *emr.Endpoint, from emr.EndpointState) error {
	doc, err := encodeEndpoint(e) // the tags column is TagResource's alone
	if err != nil {
		return fmt.Errorf("update managed endpoint %s: %w", e.ID, err)
	}
	res, err := db.write.ExecContext(ctx, `UPDATE managed_endpoints SET state = ?, doc = ? WHERE id = ? AND virtual_cluster_id = ? AND state = ?`,
		e.State, doc, e.ID, e.VirtualClusterID, from)
	if err != nil {
		return fmt.Errorf("update managed endpoint %s: %w", e.ID, err)
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("update managed endpoint %s from %s: %w", e.ID, from, store.ErrConflict)
	}
	return nil
}
