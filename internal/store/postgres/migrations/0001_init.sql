-- The schema of the SQLite store as of its migration 0002, in PostgreSQL.
-- The JSON document in `doc` is the resource as the API returns it, without
-- its tags; `tags` (a JSON object) is written only by TagResource and
-- UntagResource, `state` and `doc` only by state changes, so neither
-- overwrites the other. The other columns are copies of fields that queries
-- filter and sort on, written in the same statement. Times are unix
-- milliseconds. Ids and names compare byte-wise (COLLATE "C") whatever the
-- database's locale: listings are ordered by id, and page tokens hold one.

CREATE TABLE security_configurations (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX security_configurations_created ON security_configurations (created_at DESC, id DESC);

CREATE TABLE virtual_clusters (
    id                        TEXT COLLATE "C" PRIMARY KEY,
    name                      TEXT COLLATE "C" NOT NULL,
    state                     TEXT COLLATE "C" NOT NULL,
    provider_id               TEXT COLLATE "C" NOT NULL,
    namespace                 TEXT COLLATE "C" NOT NULL,
    created_at                BIGINT NOT NULL,
    security_configuration_id TEXT COLLATE "C" NOT NULL DEFAULT '',
    tags                      TEXT NOT NULL DEFAULT '{}',
    doc                       TEXT NOT NULL
);
-- One active virtual cluster per namespace of a cluster, as EMR enforces.
CREATE UNIQUE INDEX virtual_clusters_active_namespace
    ON virtual_clusters (provider_id, namespace) WHERE state <> 'TERMINATED';
CREATE INDEX virtual_clusters_created ON virtual_clusters (created_at DESC, id DESC);
CREATE INDEX virtual_clusters_security_configuration
    ON virtual_clusters (security_configuration_id) WHERE security_configuration_id <> '';

CREATE TABLE job_runs (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    virtual_cluster_id TEXT COLLATE "C" NOT NULL REFERENCES virtual_clusters (id),
    name               TEXT COLLATE "C" NOT NULL,
    state              TEXT COLLATE "C" NOT NULL,
    created_at         BIGINT NOT NULL,
    tags               TEXT NOT NULL DEFAULT '{}',
    doc                TEXT NOT NULL
);
CREATE INDEX job_runs_by_cluster ON job_runs (virtual_cluster_id, created_at DESC, id DESC);
CREATE INDEX job_runs_active ON job_runs (state)
    WHERE state IN ('PENDING', 'SUBMITTED', 'RUNNING', 'CANCEL_PENDING');

-- Job templates are immutable: a row is written once and deleted.
CREATE TABLE job_templates (
    id         TEXT COLLATE "C" PRIMARY KEY,
    name       TEXT COLLATE "C" NOT NULL,
    created_at BIGINT NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX job_templates_created ON job_templates (created_at DESC, id DESC);

CREATE TABLE managed_endpoints (
    id                 TEXT COLLATE "C" PRIMARY KEY,
    virtual_cluster_id TEXT COLLATE "C" NOT NULL REFERENCES virtual_clusters (id),
    name               TEXT COLLATE "C" NOT NULL,
    type               TEXT COLLATE "C" NOT NULL,
    state              TEXT COLLATE "C" NOT NULL,
    created_at         BIGINT NOT NULL,
    tags               TEXT NOT NULL DEFAULT '{}',
    doc                TEXT NOT NULL
);
CREATE INDEX managed_endpoints_by_cluster ON managed_endpoints (virtual_cluster_id, created_at DESC, id DESC);

-- Replay records of create requests (clientToken). The token is kept as
-- bytes: a client may send any string, and PostgreSQL text holds no NUL.
CREATE TABLE idempotency (
    scope        TEXT COLLATE "C" NOT NULL,
    token        BYTEA NOT NULL,
    request_hash TEXT NOT NULL,
    resource_id  TEXT COLLATE "C" NOT NULL,
    created_at   BIGINT NOT NULL,
    PRIMARY KEY (scope, token)
);

-- Per-database secrets: page-token-key signs the nextTokens of listings. The
-- store writes it (32 bytes from crypto/rand) the first time it opens.
CREATE TABLE secrets (
    name  TEXT COLLATE "C" PRIMARY KEY,
    value BYTEA NOT NULL
);
