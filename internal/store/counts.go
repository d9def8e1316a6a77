package store

import "github.com/sparkplane/sparkplane/internal/emr"

// JobRunCount is how many job runs a virtual cluster has in one state.
type JobRunCount struct {
	VirtualClusterID string
	State            emr.JobRunState
	Count            int
}
