-- depends: 0002.ledger-holds-authorization-fields
-- Version 3: callbacks are delivered (notifications/).  An event now names its merchant
-- and its stream (the order, or the binding for stored-card events), carries a position in
-- that stream (delivery in order per order) and a lease (two dispatchers never send the
-- same attempt at once); every attempt is kept in callback_attempts.

CREATE TABLE outbox_events (
    id           TEXT PRIMARY KEY,
    merchant_id  TEXT NOT NULL REFERENCES merchants (id),
    -- the order id, or "binding:<bindingId>" for a stored card's own events
    stream       TEXT NOT NULL,
    stream_seq   INTEGER NOT NULL,
    order_id     TEXT,
    binding_id   TEXT,
    operation    TEXT NOT NULL,
    status       INTEGER NOT NULL,
    created_at   BIGINT NOT NULL,
    -- JSON: the event's own parameters and the order's facts at the time of the event
    payload      TEXT NOT NULL,
    -- pending -> delivered | failed (retries used up) | skipped (nothing to send)
    state        TEXT NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    next_try_at  BIGINT,
    lease_until  BIGINT,
    lease_token  TEXT,
    delivered_at BIGINT,
    -- when it reached delivered, failed or skipped (the retention counts from here)
    settled_at   BIGINT,
    last_error   TEXT,
    UNIQUE (stream, stream_seq)
);

-- events of version 2 were never sent; sending them weeks late would surprise a shop
INSERT INTO outbox_events (id, merchant_id, stream, stream_seq, order_id, operation, status,
                           created_at, payload, state, attempts, settled_at, last_error)
SELECT e.id, o.merchant_id, e.order_id,
       (SELECT COUNT(*) FROM events p
        WHERE p.order_id = e.order_id
          AND (p.created_at < e.created_at OR (p.created_at = e.created_at AND p.id <= e.id))),
       e.order_id, e.operation, e.status, e.created_at,
       '{"params":' || e.payload || ',"facts":{}}', 'skipped', 0, e.created_at,
       'written before callbacks were delivered'
FROM events e JOIN orders o ON o.id = e.order_id;

DROP TABLE events;

-- the dispatcher's queue: pending rows only, however many were delivered
CREATE INDEX outbox_events_due ON outbox_events (next_try_at) WHERE state = 'pending';
CREATE INDEX outbox_events_order ON outbox_events (order_id, stream_seq);
CREATE INDEX outbox_events_merchant ON outbox_events (merchant_id, created_at);
-- ecomgate listen follows a merchant's events by id (made from the time of writing)
CREATE INDEX outbox_events_merchant_id ON outbox_events (merchant_id, id);
-- pruning: delivered, failed and skipped events past the retention
CREATE INDEX outbox_events_done ON outbox_events (settled_at) WHERE state <> 'pending';

CREATE TABLE callback_attempts (
    id          TEXT PRIMARY KEY,
    event_id    TEXT NOT NULL REFERENCES outbox_events (id) ON DELETE CASCADE,
    attempt     INTEGER NOT NULL,
    started_at  BIGINT NOT NULL,
    -- what sent it: dispatcher, resend, listen
    origin      TEXT NOT NULL,
    method      TEXT NOT NULL,
    -- scheme, host and path only: a query string may carry the shop's own secrets
    url         TEXT NOT NULL,
    http_status INTEGER,
    latency_ms  INTEGER NOT NULL,
    error       TEXT
);

CREATE INDEX callback_attempts_event ON callback_attempts (event_id, attempt);
