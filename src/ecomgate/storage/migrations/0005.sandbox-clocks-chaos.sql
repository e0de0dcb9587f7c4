-- depends: 0004.bindings-vault
-- Version 5: the sandbox's per-merchant state: how far the merchant's clock was moved,
-- and the faults ("chaos") its acquirer calls and callbacks suffer.  Sandbox mode only;
-- a production gateway never writes it.

CREATE TABLE sandbox_merchants (
    merchant_id     TEXT PRIMARY KEY REFERENCES merchants (id),
    clock_offset_ms BIGINT NOT NULL DEFAULT 0,
    -- JSON: acquirer latency/timeout, an actionCode for the next N operations, callbacks
    -- dropped or delayed (sandbox/chaos.py)
    chaos           TEXT NOT NULL DEFAULT '{}'
);
