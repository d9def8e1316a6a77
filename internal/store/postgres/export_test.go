package postgres

import "github.com/sparkplane/sparkplane/internal/store/sqlstore"

// SetRollUpBatch makes RollUpUsage work in batches of n records until the
// returned function restores the size.
func SetRollUpBatch(n int) (restore func()) {
	old := sqlstore.RollUpBatch
	sqlstore.RollUpBatch = n
	return func() { sqlstore.RollUpBatch = old }
}
