-- Retention (store.Retention): finished runs are removed once they finished
-- long enough ago, oldest first, in small batches. finished_at is the run's
-- finishedAt (unix milliseconds), written with its terminal state; NULL
-- while it has not finished.
ALTER TABLE job_runs ADD COLUMN finished_at INTEGER;
UPDATE job_runs
   SET finished_at = CAST(ROUND((julianday(json_extract(doc, '$.finishedAt')) - 2440587.5) * 86400000) AS INTEGER)
 WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND json_extract(doc, '$.finishedAt') IS NOT NULL;
-- Runs that finished with no finishedAt (none should) count from creation.
UPDATE job_runs SET finished_at = created_at
 WHERE state IN ('COMPLETED', 'FAILED', 'CANCELLED') AND finished_at IS NULL;
CREATE INDEX job_runs_finished ON job_runs (finished_at) WHERE finished_at IS NOT NULL;

-- A purged run's state-change events, found without reading the outbox.
CREATE INDEX job_run_events_by_run ON job_run_events (job_run_id);
