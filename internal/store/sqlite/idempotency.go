package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/sparkplane/sparkplane/internal/store"
)

// replayed looks up an earlier request with the same scope and token. It
// returns the id of the resource that request created, "" if there was none,
// or ErrTokenMismatch if the earlier request differed.
func (db *DB) replayed(ctx context.Context, tx *sql.Tx, idem store.Idempotency) (string, error) {
	if idem.Token == "" {
		return "", nil
	}
	var hash, id string
	err := tx.StmtContext(ctx, db.stmt.replayed).QueryRowContext(ctx, idem.Scope, idem.Token).Scan(&hash, &id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return "", nil
	case err != nil:
		return "", err
	case hash != idem.Hash:
		return "", fmt.Errorf("token %q: %w", idem.Token, store.ErrTokenMismatch)
	}
	return id, nil
}

func (db *DB) remember(ctx context.Context, tx *sql.Tx, idem store.Idempotency, id string) error {
	if idem.Token == "" {
		return nil
	}
	_, err := tx.StmtContext(ctx, db.stmt.remember).ExecContext(ctx, idem.Scope, idem.Token, idem.Hash, id, time.Now().UnixMilli())
	return err
}
