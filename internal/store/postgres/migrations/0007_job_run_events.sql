-- The outbox of job-run state changes (store.Events): CreateJobRun and
-- UpdateJobRun append a row in the transaction that writes the run, and
-- the webhooks' dispatchers and `runs --watch` read it in id order. Writers
-- take an advisory lock before they draw an id and keep it until they
-- commit, so ids commit in order.

-- How many state changes a run has had: the sequence number of its latest
-- event.
ALTER TABLE job_runs ADD COLUMN state_changes BIGINT NOT NULL DEFAULT 0;

CREATE TABLE job_run_events (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    virtual_cluster_id TEXT COLLATE "C" NOT NULL,
    job_run_id         TEXT COLLATE "C" NOT NULL,
    seq                BIGINT NOT NULL,
    arn                TEXT NOT NULL,
    created_at         BIGINT NOT NULL, -- unix milliseconds
    detail             TEXT NOT NULL    -- emr.JobRunStateChange as JSON
);
CREATE INDEX job_run_events_by_cluster ON job_run_events (virtual_cluster_id, id);

-- How far each destination has taken the outbox: the id of the last event
-- it was delivered.
CREATE TABLE event_deliveries (
    destination TEXT COLLATE "C" PRIMARY KEY,
    delivered   BIGINT NOT NULL
);
