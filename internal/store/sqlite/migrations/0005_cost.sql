-- Metering for cost reports (store.Metering): one row per pod a job run
-- attempt created (or per local run attempt), and the nodes they ran on.
-- Times are unix milliseconds; a NULL end is a pod still running (a node
-- still up). Rows do not refer to job_runs: reports join the run's tags
-- when there is one.
CREATE TABLE pod_usage (
    job_run_id         TEXT NOT NULL,
    virtual_cluster_id TEXT NOT NULL,
    attempt            INTEGER NOT NULL,
    pod                TEXT NOT NULL,
    pod_uid            TEXT NOT NULL DEFAULT '',
    component          TEXT NOT NULL,
    namespace          TEXT NOT NULL DEFAULT '',
    node               TEXT NOT NULL DEFAULT '',
    instance_type      TEXT NOT NULL DEFAULT '',
    capacity_type      TEXT NOT NULL DEFAULT '',
    zone               TEXT NOT NULL DEFAULT '',
    cpu_request        REAL NOT NULL,
    memory_request     INTEGER NOT NULL,
    cpu_limit          REAL NOT NULL,
    memory_limit       INTEGER NOT NULL,
    cpu_used           REAL,    -- NULL: not measured (with memory_used)
    memory_used        INTEGER,
    start_at           INTEGER NOT NULL,
    end_at             INTEGER,
    PRIMARY KEY (job_run_id, attempt, pod)
);
-- Reports read the records overlapping a window: ended after its start
-- (or running) and started before its end.
CREATE INDEX pod_usage_end ON pod_usage (end_at);
CREATE INDEX pod_usage_running ON pod_usage (start_at) WHERE end_at IS NULL;

CREATE TABLE nodes (
    name          TEXT PRIMARY KEY,
    instance_type TEXT NOT NULL DEFAULT '',
    capacity_type TEXT NOT NULL DEFAULT '',
    zone          TEXT NOT NULL DEFAULT '',
    cpu           REAL NOT NULL,    -- allocatable cores
    memory        INTEGER NOT NULL, -- allocatable bytes
    first_seen    INTEGER NOT NULL,
    last_seen     INTEGER           -- NULL: still up
);
