-- Leases: which server drives which job run when several share the
-- database (see store.Leases). A row is one lease: its owner may act on what
-- it names until expires_at, unix milliseconds by the clock of the
-- processes sharing the file.
CREATE TABLE leases (
    name       TEXT PRIMARY KEY,
    owner      TEXT NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX leases_owner ON leases (owner);
