package api

import (
	"context"
	"net/http"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// updateVirtualCluster replaces the scheduler configuration of a virtual
// cluster (PATCH, idempotent by nature: the same request sets the same
// limits). Runs waiting in its queue are looked at again, since the new
// limits may let some start.
func (s *Server) updateVirtualCluster(r *http.Request) (any, error) {
	id, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	var req emr.UpdateVirtualClusterRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	vc, err := s.getVirtualCluster(r, "emr-containers:UpdateVirtualCluster")
	if err != nil {
		return nil, err
	}
	if vc.State != emr.VirtualClusterRunning {
		return nil, emr.Validationf("Virtual cluster %s is %s; only a RUNNING virtual cluster can be updated.", id, vc.State)
	}
	if vc, err = s.store.SetVirtualClusterScheduler(r.Context(), id, req.SchedulerConfiguration); err != nil {
		return nil, err
	}
	s.notify.WakeQueue(id) // a higher limit may let waiting runs start
	if err := s.withSchedulerStatus(r.Context(), vc); err != nil {
		return nil, err
	}
	return map[string]any{"virtualCluster": vc}, nil
}

// withSchedulerStatus fills in the counts of a virtual cluster with limits:
// runs in its queue (PENDING and SUBMITTED) and runs RUNNING.
func (s *Server) withSchedulerStatus(ctx context.Context, vc *emr.VirtualCluster) error {
	if vc.SchedulerConfiguration == nil {
		return nil
	}
	queued, err := s.store.CountJobRuns(ctx, vc.ID, emr.JobRunPending, emr.JobRunSubmitted)
	if err != nil {
		return err
	}
	running, err := s.store.CountJobRuns(ctx, vc.ID, emr.JobRunRunning)
	if err != nil {
		return err
	}
	vc.SchedulerStatus = &emr.SchedulerStatus{CurrentInQueueJobRuns: queued, CurrentConcurrentJobRuns: running}
	return nil
}
