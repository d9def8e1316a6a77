package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/sparkplane/sparkplane/internal/store"
)

// replayed looks up an earlier request with the same scope and token, after
// taking the token's lock (lockToken), so a request that is being created
// concurrently has committed or failed. It returns the id of the resource
// that request created, "" if there was none, or ErrTokenMismatch if the
// earlier request differed.
func replayed(ctx context.Context, tx pgx.Tx, idem store.Idempotency) (string, error) {
	if idem.Token == "" {
		return "", nil
	}
	if err := lockToken(ctx, tx, idem); err != nil {
		return "", err
	}
	var hash, id string
	err := tx.QueryRow(ctx, `SELECT request_hash, resource_id FROM idempotency WHERE scope = $1 AND token = $2`,
		idem.Scope, []byte(idem.Token)).Scan(&hash, &id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		return "", nil
	case err != nil:
		return "", err
	case hash != idem.Hash:
		return "", fmt.Errorf("token %q: %w", idem.Token, store.ErrTokenMismatch)
	}
	return id, nil
}

func remember(ctx context.Context, tx pgx.Tx, idem store.Idempotency, id string) error {
	if idem.Token == "" {
		return nil
	}
	_, err := tx.Exec(ctx, `INSERT INTO idempotency (scope, token, request_hash, resource_id, created_at) VALUES ($1, $2, $3, $4, $5)`,
		idem.Scope, []byte(idem.Token), idem.Hash, id, time.Now().UnixMilli())
	return err
}
