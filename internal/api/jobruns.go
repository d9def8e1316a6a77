package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/sparkplane/sparkplane/internal/emr"
	"github.com/sparkplane/sparkplane/internal/sparksubmit"
	"github.com/sparkplane/sparkplane/internal/store"
)

func (s *Server) startJobRun(r *http.Request) (any, error) {
	vcID, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	var req emr.StartJobRunRequest
	if err := decodeBody(r, &req); err != nil {
		return nil, err
	}
	if err := req.Validate(); err != nil {
		return nil, err
	}
	ctx := r.Context()
	var tmpl *emr.JobTemplate
	if req.JobTemplateID != "" {
		// The template is authorized with its tags (aws:ResourceTag), as
		// StartJobRun's jobTemplate resource type has them, before
		// anything of it is answered.
		t, err := s.store.GetJobTemplate(ctx, req.JobTemplateID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return nil, err
		}
		if err := s.authorizeOn(ctx, "emr-containers:StartJobRun", s.opts.Partition.JobTemplateARN(req.JobTemplateID), tagsOf(t)); err != nil {
			return nil, err
		}
		if err != nil {
			return nil, emr.NotFoundf("Job template %s doesn't exist.", req.JobTemplateID)
		}
		tmpl = t
	}
	spec, err := runSpec(&req, tmpl)
	if err != nil {
		return nil, err
	}
	if err := s.authorizeStart(ctx, vcID, &req, spec); err != nil {
		return nil, err
	}
	now := s.now()
	id := s.runIDs.Next(now)
	run := &emr.JobRun{
		ID:                       id,
		Name:                     req.Name,
		VirtualClusterID:         vcID,
		ARN:                      s.opts.Partition.JobRunARN(vcID, id),
		State:                    emr.JobRunPending,
		ClientToken:              req.ClientToken,
		ExecutionRoleARN:         spec.ExecutionRoleARN,
		ReleaseLabel:             spec.ReleaseLabel,
		ConfigurationOverrides:   spec.ConfigurationOverrides,
		JobDriver:                spec.JobDriver,
		CreatedAt:                now,
		CreatedBy:                s.createdBy(r),
		Tags:                     spec.Tags,
		RetryPolicyConfiguration: req.RetryPolicyConfiguration,
	}
	if req.RetryPolicyConfiguration != nil {
		run.RetryPolicyExecution = &emr.RetryPolicyExecution{CurrentAttemptCount: 1}
	}
	idem := store.Idempotency{Scope: "StartJobRun/" + vcID, Token: req.ClientToken, Hash: requestHash(req, &req.ClientToken)}
	run, err = s.store.CreateJobRun(r.Context(), run, idem)
	var full *store.QueueFullError
	switch {
	case errors.As(err, &full):
		return nil, emr.Validationf("Virtual cluster %s already has %d job runs waiting, its maxInQueueJobRuns (%d); retry when some have started, or raise the limit with UpdateVirtualCluster.", vcID, full.Queued, full.Limit)
	case errors.Is(err, store.ErrNotFound):
		return nil, emr.NotFoundf("Virtual cluster %s doesn't exist.", vcID)
	case errors.Is(err, store.ErrConflict):
		state := emr.VirtualClusterState("not RUNNING")
		if vc, err := s.store.GetVirtualCluster(r.Context(), vcID); err == nil {
			state = vc.State
		}
		return nil, emr.Validationf("Virtual cluster %s is %s; job runs can only be started on a RUNNING virtual cluster.", vcID, state)
	case errors.Is(err, store.ErrTokenMismatch):
		return nil, emr.Validationf("Client token %s was already used with a different request.", req.ClientToken)
	case err != nil:
		return nil, err
	}
	s.notify.WakeQueue(vcID)
	s.notify.Enqueue(vcID, run.ID) // a first pass, which stages it if it must wait (runtime.Stager)
	return map[string]string{"id": run.ID, "name": run.Name, "arn": run.ARN, "virtualClusterId": vcID}, nil
}

// runSpec returns the request a job run is made of: req itself, or, with a
// jobTemplateId, its template tmpl resolved with req (emr.JobTemplate.Resolve
// has the merge rule). Either way the release label must exist and the
// spark-submit parameters must parse.
func runSpec(req *emr.StartJobRunRequest, tmpl *emr.JobTemplate) (*emr.StartJobRunRequest, error) {
	if tmpl == nil {
		return req, checkRunSpec(req)
	}
	spec, err := tmpl.Resolve(req)
	if err != nil {
		return nil, err
	}
	return spec, tmpl.Explain(checkRunSpec(spec))
}

func checkRunSpec(spec *emr.StartJobRunRequest) error {
	if err := checkRelease("releaseLabel", spec.ReleaseLabel); err != nil {
		return err
	}
	if err := checkParameters("jobDriver", spec.JobDriver, false); err != nil {
		return err
	}
	if err := emr.CheckSparkplaneClassification(spec.ConfigurationOverrides); err != nil {
		return err
	}
	return checkExecutors(spec)
}

// checkExecutors refuses a run that asks for more executors, or more cores
// per executor, than sparksubmit.Executors allows, wherever it sets them
// (sparkSubmitParameters or the spark-defaults classification).
func checkExecutors(spec *emr.StartJobRunRequest) error {
	sub, err := sparksubmit.Build(&emr.JobRun{JobDriver: spec.JobDriver, ConfigurationOverrides: spec.ConfigurationOverrides}, nil)
	if err != nil {
		return emr.Validationf("Value at 'jobDriver' is not valid: %v", err)
	}
	if _, _, err := sparksubmit.Executors(sub.Effective()); err != nil {
		field := "configurationOverrides.applicationConfiguration.spark-defaults"
		params := map[string]string{}
		for _, p := range sub.Params.Properties() {
			params[p.Key] = p.Value
		}
		if _, _, perr := sparksubmit.Executors(params); perr != nil {
			field, err = "jobDriver.sparkSubmitJobDriver.sparkSubmitParameters", perr
			if sub.SQL {
				field = "jobDriver.sparkSqlJobDriver.sparkSqlParameters"
			}
		}
		return emr.Validationf("1 validation error detected: Value at '%s' failed to satisfy constraint: %v", field, err)
	}
	return nil
}

// checkRelease answers a release label EMR on EKS never shipped with a
// ResourceNotFoundException, as EMR does.
func checkRelease(field, label string) error {
	if _, ok := emr.LookupRelease(label); !ok {
		return emr.ReleaseNotFound(label, field)
	}
	return nil
}

// checkParameters parses the spark-submit or spark-sql parameters of the
// job driver at field so a request that spark-submit could never accept is
// refused up front. With templated, parameters holding ${placeholders}
// are left for StartJobRun to check once they are filled.
func checkParameters(field string, d *emr.JobDriver, templated bool) error {
	var params, f string
	switch {
	case d.SparkSubmitJobDriver != nil:
		params, f = d.SparkSubmitJobDriver.SparkSubmitParameters, field+".sparkSubmitJobDriver.sparkSubmitParameters"
	case d.SparkSQLJobDriver != nil:
		params, f = d.SparkSQLJobDriver.SparkSQLParameters, field+".sparkSqlJobDriver.sparkSqlParameters"
	default:
		return nil
	}
	if templated && strings.Contains(params, "${") {
		return nil
	}
	if _, err := sparksubmit.ParseParams(params, d.SparkSQLJobDriver != nil); err != nil {
		return emr.Validationf("Value at '%s' is not valid: %v", f, err)
	}
	return nil
}

func (s *Server) describeJobRun(r *http.Request) (any, error) {
	run, err := s.getJobRun(r, "emr-containers:DescribeJobRun")
	if err != nil {
		return nil, err
	}
	return map[string]any{"jobRun": run}, nil
}

// authorizeStart authorizes StartJobRun of spec (req resolved with its
// template) on virtual cluster vcID, passing its execution role, and
// checks that the role is one this server maps to credentials.
func (s *Server) authorizeStart(ctx context.Context, vcID string, req, spec *emr.StartJobRunRequest) error {
	vc, err := forAuthz(ctx, func(ctx context.Context) (*emr.VirtualCluster, error) { return s.store.GetVirtualCluster(ctx, vcID) })
	if err != nil {
		return err
	}
	cond := conditions{"emr-containers:ExecutionRoleArn": {spec.ExecutionRoleARN}}.withRequestTags(spec.Tags)
	if req.JobTemplateID != "" {
		cond["emr-containers:JobTemplateArn"] = []string{s.opts.Partition.JobTemplateARN(req.JobTemplateID)}
	}
	if err := s.authorizeVirtualCluster(ctx, "emr-containers:StartJobRun", vcID, vc, cond); err != nil {
		return err
	}
	if err := s.passRole(ctx, spec.ExecutionRoleARN, s.opts.Partition.VirtualClusterARN(vcID)); err != nil {
		return err
	}
	return s.checkRole(spec.ExecutionRoleARN)
}

// checkRole refuses an execution role the server does not map.
func (s *Server) checkRole(arn string) error {
	if s.opts.CheckExecutionRole == nil {
		return nil
	}
	return s.opts.CheckExecutionRole(arn)
}

// getJobRun reads the job run of r's path once the caller is authorized
// to perform action on it.
func (s *Server) getJobRun(r *http.Request, action string) (*emr.JobRun, error) {
	vcID, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	id, err := pathID(r, "jobRunId")
	if err != nil {
		return nil, err
	}
	run, err := s.store.GetJobRun(r.Context(), vcID, id)
	cond := conditions{}
	if run != nil {
		cond = cond.withResourceTags(run.Tags)
	}
	if err := s.authorize(r.Context(), action, s.opts.Partition.JobRunARN(vcID, id), cond); err != nil {
		return nil, err
	}
	if errors.Is(err, store.ErrNotFound) {
		return nil, emr.NotFoundf("Job run %s doesn't exist in virtual cluster %s.", id, vcID)
	}
	return run, err
}

func (s *Server) listJobRuns(r *http.Request) (any, error) {
	vcID, err := pathID(r, "virtualClusterId")
	if err != nil {
		return nil, err
	}
	vc, err := forAuthz(r.Context(), func(ctx context.Context) (*emr.VirtualCluster, error) { return s.store.GetVirtualCluster(ctx, vcID) })
	if err != nil {
		return nil, err
	}
	if err := s.authorizeVirtualCluster(r.Context(), "emr-containers:ListJobRuns", vcID, vc, conditions{}); err != nil {
		return nil, err
	}
	lq, err := parseListQuery(r)
	if err != nil {
		return nil, err
	}
	states, err := queryStates(lq.q, emr.JobRunState.Valid)
	if err != nil {
		return nil, err
	}
	name := lq.q.Get("name")
	if name != "" {
		if err := emr.CheckName("name", name); err != nil {
			return nil, err
		}
	}
	f := store.JobRunFilter{VirtualClusterID: vcID, States: states, Name: name,
		CreatedAfter: lq.createdAfter, CreatedBefore: lq.createdBefore}
	runs, next, err := s.store.ListJobRuns(r.Context(), f, lq.page())
	if err != nil {
		return nil, listError(err)
	}
	out := map[string]any{"jobRuns": nonNil(runs)}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}

// cancelJobRun records the request to cancel a run; the controller, which
// alone writes a run's state, moves it to CANCEL_PENDING, stops it and
// records CANCELLED. CancelJobRun models no ResourceNotFoundException, so
// an unknown run is a ValidationException.
func (s *Server) cancelJobRun(r *http.Request) (any, error) {
	run, err := s.getJobRun(r, "emr-containers:CancelJobRun")
	var e *emr.Error
	if errors.As(err, &e) && e.Code == emr.CodeNotFound {
		return nil, emr.Validationf("%s", e.Message)
	}
	if err != nil {
		return nil, err
	}
	if !run.State.Cancellable() {
		return nil, emr.Validationf("Job run %s is %s and cannot be cancelled.", run.ID, run.State)
	}
	_, err = s.store.RequestJobRunCancel(r.Context(), run.VirtualClusterID, run.ID, s.now())
	if errors.Is(err, store.ErrConflict) { // it ended meanwhile
		if run, err = s.store.GetJobRun(r.Context(), run.VirtualClusterID, run.ID); err == nil {
			err = emr.Validationf("Job run %s is %s and cannot be cancelled.", run.ID, run.State)
		}
	}
	if err != nil {
		return nil, err
	}
	s.notify.Enqueue(run.VirtualClusterID, run.ID)
	return map[string]string{"id": run.ID, "virtualClusterId": run.VirtualClusterID}, nil
}

// requestHash digests a create request without its client token, to tell a
// replay of the same request from a different one under the same token.
func requestHash(req any, token *string) string {
	saved := *token
	*token = ""
	b, _ := json.Marshal(req)
	*token = saved
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}
