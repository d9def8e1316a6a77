-- The rest of the emr-containers API: job templates, security configurations
-- and managed endpoints; tags in columns of their own; the key that signs
-- page tokens.

-- Tags leave the JSON documents of virtual clusters and job runs for a column
-- of their own (a JSON object): TagResource writes only `tags`, state changes
-- only `state` and `doc`, so neither can overwrite the other.
ALTER TABLE virtual_clusters ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
ALTER TABLE virtual_clusters ADD COLUMN security_configuration_id TEXT NOT NULL DEFAULT '';
UPDATE virtual_clusters
   SET tags = COALESCE(json_extract(doc, '$.tags'), '{}'),
       security_configuration_id = COALESCE(json_extract(doc, '$.securityConfigurationId'), ''),
       doc = json_remove(doc, '$.tags');
CREATE INDEX virtual_clusters_security_configuration
    ON virtual_clusters (security_configuration_id) WHERE security_configuration_id <> '';

ALTER TABLE job_runs ADD COLUMN tags TEXT NOT NULL DEFAULT '{}';
UPDATE job_runs
   SET tags = json_extract(doc, '$.tags'), doc = json_remove(doc, '$.tags')
 WHERE json_extract(doc, '$.tags') IS NOT NULL;

-- Job templates are immutable: a row is written once and deleted.
CREATE TABLE job_templates (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL, -- unix milliseconds
    doc        TEXT NOT NULL
);
CREATE INDEX job_templates_created ON job_templates (created_at DESC, id DESC);

CREATE TABLE security_configurations (
    id         TEXT PRIMARY KEY,
    name       TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    doc        TEXT NOT NULL
);
CREATE INDEX security_configurations_created ON security_configurations (created_at DESC, id DESC);

CREATE TABLE managed_endpoints (
    id                 TEXT PRIMARY KEY,
    virtual_cluster_id TEXT NOT NULL REFERENCES virtual_clusters (id),
    name               TEXT NOT NULL,
    type               TEXT NOT NULL,
    state              TEXT NOT NULL,
    created_at         INTEGER NOT NULL,
    tags               TEXT NOT NULL DEFAULT '{}',
    doc                TEXT NOT NULL
);
CREATE INDEX managed_endpoints_by_cluster ON managed_endpoints (virtual_cluster_id, created_at DESC, id DESC);

-- Per-database secrets: page-token-key signs the nextTokens of listings.
CREATE TABLE secrets (
    name  TEXT PRIMARY KEY,
    value BLOB NOT NULL
);
INSERT INTO secrets (name, value) VALUES ('page-token-key', randomblob(32));
