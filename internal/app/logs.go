package app

import (
	"context"
	"errors"
	"fmt"

	"github.com/sparkplane/sparkplane/internal/runtime"
	"github.com/sparkplane/sparkplane/internal/store"
)

// storeLogArchive is the store's table of job run logs as a
// runtime.LogArchive: the store's not-found becomes runtime.ErrLogNotFound,
// so the runtimes and the API need not know the store.
type storeLogArchive struct {
	st store.Logs
}

// logArchive returns the store's log archive.
func logArchive(st store.Store) runtime.LogArchive { return storeLogArchive{st: st} }

func (a storeLogArchive) PutJobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string, data []byte) error {
	return a.st.PutJobRunLog(ctx, virtualClusterID, jobRunID, attempt, stream, data)
}

func (a storeLogArchive) JobRunLog(ctx context.Context, virtualClusterID, jobRunID string, attempt int, stream string) ([]byte, error) {
	b, err := a.st.JobRunLog(ctx, virtualClusterID, jobRunID, attempt, stream)
	if errors.Is(err, store.ErrNotFound) && !errors.Is(err, runtime.ErrLogNotFound) {
		return nil, fmt.Errorf("%w: %w", runtime.ErrLogNotFound, err)
	}
	return b, err
}
