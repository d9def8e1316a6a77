-- Metering for cost reports (store.Metering): one row per pod a job run
-- attempt created (or per local run attempt), and the nodes they ran on.
-- Times are unix milliseconds; a NULL end is a pod still running (a node
-- still up). Rows do not refer to job_runs: reports join the run's tags
-- when there is one.
CREATE TABLE pod_usage (
    job_run_id         TEXT COLLATE "C" NOT NULL,
    virtual_cluster_id TEXT COLLATE "C" NOT NULL,
    attempt            BIGINT NOT NULL,
    pod                TEXT COLLATE "C" NOT NULL,
    pod_uid            TEXT COLLATE "C" NOT NULL DEFAULT '',
    component          TEXT COLLATE "C" NOT NULL,
    namespace          TEXT COLLATE "C" NOT NULL DEFAULT '',
    node               TEXT COLLATE "C" NOT NULL DEFAULT '',
    instance_type      TEXT COLLATE "C" NOT NULL DEFAULT '',
    capacity_type      TEXT COLLATE "C" NOT NULL DEFAULT '',
    zone               TEXT COLLATE "C" NOT NULL DEFAULT '',
    cpu_request        DOUBLE PRECISION NOT NULL,
    memory_request     BIGINT NOT NULL,
    cpu_limit          DOUBLE PRECISION NOT NULL,
    memory_limit       BIGINT NOT NULL,
    cpu_used           DOUBLE PRECISION,    -- NULL: not measured (with memory_used)
    memory_used        BIGINT,
    start_at           BIGINT NOT NULL,
    end_at             BIGINT,
    PRIMARY KEY (job_run_id, attempt, pod)
);
-- Reports read the records overlapping a window: ended after its start
-- (or running) and started before its end.
CREATE INDEX pod_usage_end ON pod_usage (end_at);
CREATE INDEX pod_usage_running ON pod_usage (start_at) WHERE end_at IS NULL;

CREATE TABLE nodes (
    name          TEXT COLLATE "C" PRIMARY KEY,
    instance_type TEXT COLLATE "C" NOT NULL DEFAULT '',
    capacity_type TEXT COLLATE "C" NOT NULL DEFAULT '',
    zone          TEXT COLLATE "C" NOT NULL DEFAULT '',
    cpu           DOUBLE PRECISION NOT NULL,    -- allocatable cores
    memory        BIGINT NOT NULL, -- allocatable bytes
    first_seen    BIGINT NOT NULL,
    last_seen     BIGINT            -- NULL: still up
);
