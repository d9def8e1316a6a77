-- The controller's queue (store.Store's RequestJobRunCancel, JobRunsInStates,
-- CancelRequestedJobRuns, QueuedVirtualClusters, and CreateJobRun's
-- maxInQueueJobRuns) and the logs of finished runs (store.Logs).

-- When CancelJobRun asked for the run to stop (unix milliseconds), NULL
-- when it has not: kept apart from doc, as tags are, so that state changes
-- never clear it.
ALTER TABLE job_runs ADD COLUMN cancel_requested_at BIGINT;

-- The resync pages by state then id, the queue (and the count of it that
-- CreateJobRun checks) by state, cluster and age; these serve what
-- job_runs_active served.
DROP INDEX job_runs_active;
CREATE INDEX job_runs_by_state ON job_runs (state, id);
CREATE INDEX job_runs_queue ON job_runs (state, virtual_cluster_id, created_at, id);
-- The cancels recorded and not acted on yet: empty but for a moment after
-- each CancelJobRun (a run leaves it when the controller moves it on).
CREATE INDEX job_runs_cancel_requested ON job_runs (id)
    WHERE cancel_requested_at IS NOT NULL AND state IN ('PENDING', 'SUBMITTED', 'RUNNING');

CREATE TABLE job_run_logs (
    virtual_cluster_id TEXT COLLATE "C" NOT NULL,
    job_run_id         TEXT COLLATE "C" NOT NULL,
    attempt            BIGINT NOT NULL,
    stream             TEXT COLLATE "C" NOT NULL,
    data               BYTEA NOT NULL,
    PRIMARY KEY (virtual_cluster_id, job_run_id, attempt, stream)
);
