-- depends: 0001.initial-schema
-- Version 2: the authorization's fields live on its ledger row only (they were stored on
-- the order too), and every operation keeps what the reconciler needs: the connector's
-- reference, when it was sent to the acquirer, and its status inquiries.

ALTER TABLE operations ADD COLUMN connector_ref TEXT;
ALTER TABLE operations ADD COLUMN terminal_id TEXT;
ALTER TABLE operations ADD COLUMN eci TEXT;
ALTER TABLE operations ADD COLUMN three_ds INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN sent_at BIGINT;
ALTER TABLE operations ADD COLUMN next_sync_at BIGINT;
ALTER TABLE operations ADD COLUMN sync_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE operations ADD COLUMN settled_at BIGINT;

-- the order's copies move to its authorization rows
UPDATE operations SET
    terminal_id = (SELECT NULLIF(o.terminal_id, '') FROM orders o WHERE o.id = operations.order_id),
    eci = (SELECT NULLIF(o.eci, '') FROM orders o WHERE o.id = operations.order_id),
    settled_at = (SELECT o.auth_at FROM orders o WHERE o.id = operations.order_id)
WHERE kind = 'authorization' AND state = 'approved';
UPDATE operations SET
    terminal_id = (SELECT NULLIF(o.terminal_id, '') FROM orders o WHERE o.id = operations.order_id)
WHERE kind = 'authorization' AND state = 'declined';
UPDATE operations SET settled_at = created_at WHERE state <> 'pending' AND settled_at IS NULL;

-- operations left PENDING by version 1 are with the acquirer, except an authorization
-- whose buyer is at the ACS page (order status 5)
UPDATE operations SET sent_at = created_at
WHERE state = 'pending' AND NOT (
    kind = 'authorization'
    AND (SELECT o.status FROM orders o WHERE o.id = operations.order_id) = 5
);
UPDATE operations SET three_ds = 1
WHERE kind = 'authorization'
  AND (SELECT o.status FROM orders o WHERE o.id = operations.order_id) = 5;

ALTER TABLE orders DROP COLUMN approval_code;
ALTER TABLE orders DROP COLUMN auth_ref_num;
ALTER TABLE orders DROP COLUMN terminal_id;
ALTER TABLE orders DROP COLUMN auth_at;
ALTER TABLE orders DROP COLUMN eci;

-- the reconciler's queue: PENDING rows only, however long the ledger grows
CREATE INDEX operations_pending ON operations (sent_at) WHERE state = 'pending';
