-- depends: 0005.sandbox-clocks-chaos
-- Version 7: the back office (/dashboard).  Its people sign in with an email and a
-- password (merchant users: viewer or manager of one merchant; operators: the gateway's
-- own staff); sessions live here, so signing out or disabling a user takes effect at once
-- in every gateway process.  The audit trail is append-only (the repository has no update
-- or delete).  The order list filters by the card's last four digits, so an order keeps
-- them in a column of their own, indexed like the other filters for keyset pagination
-- (merchant, filter, created_at, id).

CREATE TABLE dashboard_users (
    id            TEXT PRIMARY KEY,
    email         TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    -- viewer | manager (a merchant's people) | operator (the gateway's staff)
    role          TEXT NOT NULL,
    -- NULL for operators
    merchant_id   TEXT REFERENCES merchants (id),
    disabled      INTEGER NOT NULL DEFAULT 0,
    -- failed sign-ins in a row, and until when the account refuses any (lockout, backoff)
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until  BIGINT,
    created_at    BIGINT NOT NULL
);

CREATE INDEX dashboard_users_merchant ON dashboard_users (merchant_id);

CREATE TABLE dashboard_sessions (
    -- SHA-256 of the cookie's token: a database dump does not sign anybody in
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES dashboard_users (id),
    csrf_token  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    ip          TEXT NOT NULL,
    -- an operator looking at a merchant's orders (read-only) or acting as it (audited)
    merchant_id TEXT REFERENCES merchants (id),
    acting      INTEGER NOT NULL DEFAULT 0
);

CREATE INDEX dashboard_sessions_user ON dashboard_sessions (user_id);

CREATE TABLE audit_log (
    -- time-ordered (uuid7): the trail reads newest first by id
    id          TEXT PRIMARY KEY,
    at          BIGINT NOT NULL,
    -- who: the user's email, or "cli" with the operating system's user
    actor       TEXT NOT NULL,
    -- dashboard | cli
    channel     TEXT NOT NULL,
    -- from where: the client's address, or the host the CLI ran on
    source      TEXT NOT NULL,
    merchant_id TEXT,
    action      TEXT NOT NULL,
    target      TEXT NOT NULL,
    -- JSON: what changed (never a password, a secret or a card number)
    details     TEXT NOT NULL
);

CREATE INDEX audit_log_merchant ON audit_log (merchant_id, id);

ALTER TABLE orders ADD COLUMN pan_last4 TEXT NOT NULL DEFAULT '';
-- the card is stored as JSON beginning {"masked_pan":"411111**1111" (first 6, **, last 4):
-- the last four are characters 24-27 on both engines
UPDATE orders SET pan_last4 = substr(card, 24, 4) WHERE card LIKE '{"masked_pan":"%';

-- keyset pagination, newest first, within a merchant: one index per selective filter
DROP INDEX orders_merchant_created;
CREATE INDEX orders_merchant_created ON orders (merchant_id, created_at, id);
CREATE INDEX orders_merchant_status ON orders (merchant_id, status, created_at, id);
CREATE INDEX orders_merchant_last4 ON orders (merchant_id, pan_last4, created_at, id);
CREATE INDEX orders_merchant_client ON orders (merchant_id, client_id, created_at, id);
