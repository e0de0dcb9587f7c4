-- depends: 0003.callback-delivery
-- Version 4: stored cards (bindings, spec §3.10) and their vault records.
-- The card is never here in clear: vault_ciphertext is AES-256-GCM of the PAN and expiry
-- (base64), sealed under the configured key vault_key_id (keys live in the configuration,
-- never in the database); pan_hash is an HMAC of the PAN for lookups by card number.
-- confirmed = 0 while the payment that stores the card is not approved yet.

CREATE TABLE bindings (
    id               TEXT PRIMARY KEY,
    merchant_id      TEXT NOT NULL REFERENCES merchants (id),
    client_id        TEXT NOT NULL,
    order_id         TEXT,
    masked_pan       TEXT NOT NULL,
    payment_system   TEXT NOT NULL,
    cardholder_name  TEXT NOT NULL,
    category         TEXT NOT NULL,
    enabled          INTEGER NOT NULL,
    confirmed        INTEGER NOT NULL,
    email            TEXT NOT NULL,
    phone            TEXT NOT NULL,
    created_at       BIGINT NOT NULL,
    updated_at       BIGINT NOT NULL,
    vault_key_id     TEXT NOT NULL,
    vault_nonce      TEXT NOT NULL,
    vault_ciphertext TEXT NOT NULL,
    pan_hash         TEXT NOT NULL
);

CREATE INDEX bindings_client ON bindings (merchant_id, client_id);
CREATE INDEX bindings_pan_hash ON bindings (merchant_id, pan_hash);
CREATE INDEX bindings_order ON bindings (order_id);
CREATE INDEX bindings_key ON bindings (vault_key_id);
