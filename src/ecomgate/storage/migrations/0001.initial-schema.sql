-- EcomGate schema, version 1.  Plain SQL that SQLite and PostgreSQL both run unchanged:
-- ids are text UUIDs made by the application, times are epoch milliseconds (BIGINT),
-- money is BIGINT minor units, flags are INTEGER 0/1, structured data is JSON text.
-- Every order-side table carries merchant_id or hangs off an order, so the merchant is a
-- natural shard key (docs/deployment.md).

CREATE TABLE merchants (
    id               TEXT PRIMARY KEY,
    login            TEXT NOT NULL UNIQUE,
    name             TEXT NOT NULL,
    password_hash    TEXT NOT NULL,
    token_hash       TEXT UNIQUE,
    default_currency TEXT NOT NULL,
    permissions      TEXT NOT NULL,
    settings         TEXT NOT NULL,
    created_at       BIGINT NOT NULL
);

CREATE TABLE orders (
    id                   TEXT PRIMARY KEY,
    merchant_id          TEXT NOT NULL REFERENCES merchants (id),
    order_number         TEXT NOT NULL,
    amount               BIGINT NOT NULL,
    currency             TEXT NOT NULL,
    two_phase            INTEGER NOT NULL,
    status               INTEGER NOT NULL,
    action_code          INTEGER NOT NULL,
    created_at           BIGINT NOT NULL,
    expires_at           BIGINT NOT NULL,
    return_url           TEXT NOT NULL,
    fail_url             TEXT NOT NULL,
    description          TEXT NOT NULL,
    language             TEXT NOT NULL,
    page_view            TEXT NOT NULL,
    client_id            TEXT NOT NULL,
    binding_id           TEXT NOT NULL,
    dynamic_callback_url TEXT NOT NULL,
    json_params          TEXT NOT NULL,
    order_bundle         TEXT,
    features             TEXT NOT NULL,
    email                TEXT NOT NULL,
    phone                TEXT NOT NULL,
    ip                   TEXT NOT NULL,
    autocompletion_at    BIGINT,
    auto_reverse_at      BIGINT,
    extra                TEXT NOT NULL,
    attempts             INTEGER NOT NULL,
    card                 TEXT,
    approval_code        TEXT NOT NULL,
    auth_ref_num         TEXT NOT NULL,
    terminal_id          TEXT NOT NULL,
    auth_at              BIGINT,
    eci                  TEXT NOT NULL,
    payment_way          TEXT NOT NULL,
    -- the earliest time the sweeper must look at this order (expiry, auto-completion,
    -- auto-reversal); NULL when nothing is scheduled
    due_at               BIGINT,
    CONSTRAINT orders_merchant_number UNIQUE (merchant_id, order_number)
);

CREATE INDEX orders_due ON orders (due_at);
CREATE INDEX orders_merchant_created ON orders (merchant_id, created_at);

CREATE TABLE operations (
    id               TEXT PRIMARY KEY,
    order_id         TEXT NOT NULL REFERENCES orders (id),
    kind             TEXT NOT NULL,
    state            TEXT NOT NULL,
    amount           BIGINT NOT NULL,
    created_at       BIGINT NOT NULL,
    action_code      INTEGER NOT NULL,
    reference_number TEXT,
    approval_code    TEXT,
    external_id      TEXT
);

CREATE INDEX operations_order ON operations (order_id, created_at);
-- one refund per externalRefundId and order: the database, not a race, decides
CREATE UNIQUE INDEX operations_external_id ON operations (order_id, kind, external_id);

-- events written in the same transaction as the change they report (outbox)
CREATE TABLE events (
    id         TEXT PRIMARY KEY,
    order_id   TEXT NOT NULL,
    operation  TEXT NOT NULL,
    status     INTEGER NOT NULL,
    created_at BIGINT NOT NULL,
    payload    TEXT NOT NULL,
    -- delivery bookkeeping (notifications/)
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL,
    next_try_at  BIGINT,
    last_error   TEXT
);

CREATE INDEX events_due ON events (state, next_try_at);
CREATE INDEX events_order ON events (order_id, created_at);

CREATE TABLE gateway_secrets (
    name  TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
