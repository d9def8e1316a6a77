package api

import (
	"context"
	"net/http"

	"github.com/sparkplane/sparkplane/internal/emr"
)

// ActionGetJobRunUI is the action of GET …/jobruns/{id}/ui, on the job run.
const ActionGetJobRunUI = "emr-containers:GetJobRunUI"

// SparkUI finds (and serves, through Apache Spark's History Server) the
// Spark UI of a run that has ended: the answer of GET
// /sparkplane/v1/virtualclusters/{vc}/jobruns/{id}/ui, a JSON object with
// url, applicationId, historyServer and eventLog. Errors that are the
// caller's are *emr.Error. It is (*sparkui.Service).UI in a server.
type SparkUI func(ctx context.Context, run *emr.JobRun) (any, error)

// jobRunUI answers where the Spark UI of a run is: sparkplane's own
// endpoint, behind `sparkplane ui`.
func (s *Server) jobRunUI(r *http.Request) (any, error) {
	run, err := s.getJobRun(r, ActionGetJobRunUI)
	if err != nil {
		return nil, err
	}
	if s.opts.SparkUI == nil {
		return nil, emr.Validationf("This server keeps no Spark UI of job runs (no Apache Spark is installed to run the History Server).")
	}
	return s.opts.SparkUI(r.Context(), run)
}
