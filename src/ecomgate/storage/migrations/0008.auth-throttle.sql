-- depends: 0005.sandbox-clocks-chaos
-- Version 8: API authentication against abuse, and credentials every process sees change.
--
-- auth_throttle: failed logins per key ("login:<login>", "address:<client address>"),
-- shared by every gateway process; a key over its limit waits until blocked_until.
CREATE TABLE auth_throttle (
    throttle_key  TEXT PRIMARY KEY,
    failures      INTEGER NOT NULL,
    blocked_until BIGINT NOT NULL,
    updated_at    BIGINT NOT NULL
);
-- stale keys are pruned by age (random logins from a guessing burst must not pile up)
CREATE INDEX auth_throttle_updated ON auth_throttle (updated_at);

-- One row, bumped by every change of a merchant: a process's credential cache is valid
-- only while the version it read stays the same.
CREATE TABLE credentials_version (
    id      INTEGER PRIMARY KEY,
    version BIGINT NOT NULL
);
INSERT INTO credentials_version (id, version) VALUES (1, 0);

-- merchantLogin (other-merchants) reaches only merchants whose parent is the caller.
ALTER TABLE merchants ADD COLUMN parent_id TEXT REFERENCES merchants (id);
