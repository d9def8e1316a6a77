-- The outbox of job-run state changes (store.Events): CreateJobRun and
-- UpdateJobRun append a row in the transaction that writes the run, and
-- the webhooks' dispatchers and `runs --watch` read it in id order.

-- How many state changes a run has had: the sequence number of its latest
-- event.
ALTER TABLE job_runs ADD COLUMN state_changes INTEGER NOT NULL DEFAULT 0;

CREATE TABLE job_run_events (
    id                 INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused
    virtual_cluster_id TEXT NOT NULL,
    job_run_id         TEXT NOT NULL,
    seq                INTEGER NOT NULL,
    arn                TEXT NOT NULL,
    created_at         INTEGER NOT NULL, -- unix milliseconds
    detail             TEXT NOT NULL      -- emr.JobRunStateChange as JSON
);
CREATE INDEX job_run_events_by_cluster ON job_run_events (virtual_cluster_id, id);

-- How far each destination has taken the outbox: the id of the last event
-- it was delivered.
CREATE TABLE event_deliveries (
    destination TEXT PRIMARY KEY,
    delivered   INTEGER NOT NULL
);
