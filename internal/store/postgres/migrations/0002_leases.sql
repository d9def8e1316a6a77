-- Leases: which server drives which job run when several share the
-- database (see store.Leases). A row is one lease: its owner may act on what
-- it names until expires_at, by the database server's clock, so the
-- sparkplane servers' clocks need not agree.
CREATE TABLE leases (
    name       TEXT COLLATE "C" PRIMARY KEY,
    owner      TEXT COLLATE "C" NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL
);
CREATE INDEX leases_owner ON leases (owner);
