package sqlstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

// replayed looks up an earlier request with the same scope and token,
// after taking the token's advisory lock, so that a request with that
// token being created concurrently has committed or failed. It returns the
// id of the resource that request created, "" if there was none, or
// ErrTokenMismatch if the earlier request differed.
func replayed(ctx context.Context, c conn, idem store.Idempotency) (string, error) {
	if idem.Token == "" {
		return "", nil
	}
	if err := c.lock(ctx, lockKey(idem.Scope+"\x00"+idem.Token)); err != nil {
		return "", err
	}
	var hash, id string
	err := c.row(ctx, `SELECT request_hash, resource_id FROM idempotency WHERE scope = ? AND token = ?`,
		idem.Scope, c.d.TokenArg(idem.Token)).Scan(&hash, &id)
	switch {
	case errors.Is(notFound(err), store.ErrNotFound):
		return "", nil
	case err != nil:
		return "", err
	case hash != idem.Hash:
		return "", fmt.Errorf("token %q: %w", idem.Token, store.ErrTokenMismatch)
	}
	return id, nil
}

// remember records the request idem as the one that created id.
func remember(ctx context.Context, c conn, idem store.Idempotency, id string) error {
	if idem.Token == "" {
		return nil
	}
	_, err := c.exec(ctx, `INSERT INTO idempotency (scope, token, request_hash, resource_id, created_at) VALUES (?, ?, ?, ?, ?)`,
		idem.Scope, c.d.TokenArg(idem.Token), idem.Hash, id, time.Now().UnixMilli())
	return err
}
