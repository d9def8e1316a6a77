-- Retention (store.Retention): finished runs are removed once they finished
-- long enough ago, oldest first, in small batches. finished_at is the run's
-- finishedAt (unix milliseconds), written with its terminal state; NULL
-- while it has not finished.
ALTER TABLE job_runs ADD COLUMN finished_at BIGINT;
UPDATE job_runs
   SET finished_at = ROUND(EXTRACT(EPOCH FROM (doc::jsonb ->> 'finishedAt')::timestamptz) * 1000)::BIGINT
 WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND doc::jsonb ->> 'finishedAt' IS NOT NULL;
-- Runs that finished with no finishedAt (none should) count from creation.
UPDATE job_runs SET finished_at = created_at
 WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND finished_at IS NULL;
CREATE INDEX job_runs_finished ON job_runs (finished_at) WHERE finished_at IS NOT NULL;

-- A purged run's state-change events, found without reading the outbox.
CREATE INDEX job_run_events_by_run ON job_run_events (job_run_id);
