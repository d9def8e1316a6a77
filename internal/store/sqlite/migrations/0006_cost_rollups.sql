-- Daily rollups of the finished pod records, written in the transaction
-- that writes the records (see internal/store/rollup.go and cost.DailySums):
-- a cost report over whole days reads these instead of every record.
-- Existing records are rolled up when the store opens (RollUpUsage), as are
-- any with rollup_tag_set NULL and an end.

-- The tag sets of job runs that records are counted under: the canonical
-- tags column and its SHA-256.
CREATE TABLE tag_sets (
    id     INTEGER PRIMARY KEY,
    digest TEXT NOT NULL UNIQUE,
    tags   TEXT NOT NULL
);

-- The tag set a finished record is counted under in usage_daily; NULL while
-- it runs (and, for records written before this migration, until rolled up).
ALTER TABLE pod_usage ADD COLUMN rollup_tag_set INTEGER;
CREATE INDEX pod_usage_unrolled ON pod_usage (job_run_id) WHERE end_at IS NOT NULL AND rollup_tag_set IS NULL;
-- Partial days read the records that started up to a day before them, and
-- the few that lasted longer than a day.
CREATE INDEX pod_usage_start ON pod_usage (start_at);
CREATE INDEX pod_usage_long ON pod_usage (end_at) WHERE end_at - start_at > 86400000;

-- Day: days since 1970-01-01 UTC. Sums over the records of the key that
-- overlap the day: counts, and core-seconds and GiB-seconds.
CREATE TABLE usage_daily (
    day                           INTEGER NOT NULL,
    virtual_cluster_id            TEXT NOT NULL,
    namespace                     TEXT NOT NULL,
    component                     TEXT NOT NULL,
    instance_type                 TEXT NOT NULL,
    capacity_type                 TEXT NOT NULL,
    zone                          TEXT NOT NULL,
    tag_set                       INTEGER NOT NULL,
    pods                          INTEGER NOT NULL,
    pods_started                  INTEGER NOT NULL,
    above_request                 INTEGER NOT NULL,
    measured                      INTEGER NOT NULL,
    cpu_seconds                   REAL NOT NULL,
    gib_seconds                   REAL NOT NULL,
    request_cpu_seconds           REAL NOT NULL,
    request_gib_seconds           REAL NOT NULL,
    measured_cpu_seconds          REAL NOT NULL,
    measured_gib_seconds          REAL NOT NULL,
    measured_request_cpu_seconds  REAL NOT NULL,
    measured_request_gib_seconds  REAL NOT NULL,
    used_cpu_seconds              REAL NOT NULL,
    used_gib_seconds              REAL NOT NULL,
    PRIMARY KEY (day, virtual_cluster_id, namespace, component, instance_type, capacity_type, zone, tag_set)
) WITHOUT ROWID;

-- What finished records charged on each node a day (for its idle cost), by
-- the instance and capacity type they name.
CREATE TABLE node_daily (
    day           INTEGER NOT NULL,
    node          TEXT NOT NULL,
    instance_type TEXT NOT NULL,
    capacity_type TEXT NOT NULL,
    cpu_seconds   REAL NOT NULL,
    gib_seconds   REAL NOT NULL,
    PRIMARY KEY (day, node, instance_type, capacity_type)
) WITHOUT ROWID;
