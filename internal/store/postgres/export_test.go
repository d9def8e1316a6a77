package postgres

// SetRollUpBatch makes RollUpUsage work in batches of n records until the
// returned function restores the size.
func SetRollUpBatch(n int) (restore func()) {
	old := rollUpBatch
	rollUpBatch = n
	return func() { rollUpBatch = old }
}
