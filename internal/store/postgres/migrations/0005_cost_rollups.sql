-- Daily rollups of the finished pod records, written in the transaction
-- that writes the records (see internal/store/rollup.go and cost.DailySums):
-- a cost report over whole days reads these instead of every record.
-- Existing records are rolled up when the store opens (RollUpUsage), as are
-- any with rollup_tag_set NULL and an end.

-- The tag sets of job runs that records are counted under: the canonical
-- tags column and its SHA-256.
CREATE TABLE tag_sets (
    id     BIGSERIAL PRIMARY KEY,
    digest TEXT COLLATE "C" NOT NULL UNIQUE,
    tags   TEXT NOT NULL
);

-- The tag set a finished record is counted under in usage_daily; NULL while
-- it runs (and, for records written before this migration, until rolled up).
ALTER TABLE pod_usage ADD COLUMN rollup_tag_set BIGINT;
CREATE INDEX pod_usage_unrolled ON pod_usage (job_run_id) WHERE end_at IS NOT NULL AND rollup_tag_set IS NULL;
-- Partial days read the records that started up to a day before them, and
-- the few that lasted longer than a day.
CREATE INDEX pod_usage_start ON pod_usage (start_at);
CREATE INDEX pod_usage_long ON pod_usage (end_at) WHERE end_at - start_at > 86400000;

-- Day: days since 1970-01-01 UTC. Sums over the records of the key that
-- overlap the day: counts, and core-seconds and GiB-seconds.
CREATE TABLE usage_daily (
    day                           BIGINT NOT NULL,
    virtual_cluster_id            TEXT COLLATE "C" NOT NULL,
    namespace                     TEXT COLLATE "C" NOT NULL,
    component                     TEXT COLLATE "C" NOT NULL,
    instance_type                 TEXT COLLATE "C" NOT NULL,
    capacity_type                 TEXT COLLATE "C" NOT NULL,
    zone                          TEXT COLLATE "C" NOT NULL,
    tag_set                       BIGINT NOT NULL,
    pods                          BIGINT NOT NULL,
    pods_started                  BIGINT NOT NULL,
    above_request                 BIGINT NOT NULL,
    measured                      BIGINT NOT NULL,
    cpu_seconds                   DOUBLE PRECISION NOT NULL,
    gib_seconds                   DOUBLE PRECISION NOT NULL,
    request_cpu_seconds           DOUBLE PRECISION NOT NULL,
    request_gib_seconds           DOUBLE PRECISION NOT NULL,
    measured_cpu_seconds          DOUBLE PRECISION NOT NULL,
    measured_gib_seconds          DOUBLE PRECISION NOT NULL,
    measured_request_cpu_seconds  DOUBLE PRECISION NOT NULL,
    measured_request_gib_seconds  DOUBLE PRECISION NOT NULL,
    used_cpu_seconds              DOUBLE PRECISION NOT NULL,
    used_gib_seconds              DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (day, virtual_cluster_id, namespace, component, instance_type, capacity_type, zone, tag_set)
);

-- What finished records charged on each node a day (for its idle cost), by
-- the instance and capacity type they name.
CREATE TABLE node_daily (
    day           BIGINT NOT NULL,
    node          TEXT COLLATE "C" NOT NULL,
    instance_type TEXT COLLATE "C" NOT NULL,
    capacity_type TEXT COLLATE "C" NOT NULL,
    cpu_seconds   DOUBLE PRECISION NOT NULL,
    gib_seconds   DOUBLE PRECISION NOT NULL,
    PRIMARY KEY (day, node, instance_type, capacity_type)
);
