-- Virtual clusters and job runs. The JSON document in `doc` is the resource
-- as the API returns it; the other columns are copies of its fields that
-- queries filter and sort on, written in the same statement.
CREATE TABLE virtual_clusters (
    id          TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    state       TEXT NOT NULL,
    provider_id TEXT NOT NULL,
    namespace   TEXT NOT NULL,
    created_at  INTEGER NOT NULL, -- unix milliseconds
    doc         TEXT NOT NULL
);
-- One active virtual cluster per namespace of a cluster, as EMR enforces.
CREATE UNIQUE INDEX virtual_clusters_active_namespace
    ON virtual_clusters (provider_id, namespace) WHERE state <> 'TERMINATED';
CREATE INDEX virtual_clusters_created ON virtual_clusters (created_at DESC, id DESC);

CREATE TABLE job_runs (
    id                 TEXT PRIMARY KEY,
    virtual_cluster_id TEXT NOT NULL REFERENCES virtual_clusters (id),
    name               TEXT NOT NULL,
    state              TEXT NOT NULL,
    created_at         INTEGER NOT NULL, -- unix milliseconds
    doc                TEXT NOT NULL
);
CREATE INDEX job_runs_by_cluster ON job_runs (virtual_cluster_id, created_at DESC, id DESC);
CREATE INDEX job_runs_active ON job_runs (state)
    WHERE state IN ('PENDING', 'SUBMITTED', 'RUNNING', 'CANCEL_PENDING');

-- Replay records of create requests (clientToken).
CREATE TABLE idempotency (
    scope        TEXT NOT NULL,
    token        TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id  TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (scope, token)
);
