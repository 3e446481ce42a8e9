-- The webhook outbox (API.md 1.1 "Webhooks"; src/webhooks/outbox.hpp): one
-- row per delivery, kept after it is delivered or given up so that
-- GET /admin/webhooks/deliveries can show it. Adds a table; existing data
-- is untouched. Times are epoch milliseconds.
CREATE TABLE webhook_deliveries (
    seq             INTEGER PRIMARY KEY,        -- enqueue order (the order within an ordering key)
    id              TEXT    NOT NULL UNIQUE,    -- the body's "id"
    type            TEXT    NOT NULL,
    ordering_key    TEXT    NOT NULL,
    body            TEXT    NOT NULL,           -- fixed at enqueue
    created_at      INTEGER NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_attempt_at INTEGER NOT NULL,
    claimed_until   INTEGER,                    -- a sender's lease
    last_attempt_at INTEGER,
    last_status     INTEGER,                    -- HTTP status; NULL: no answer
    last_error      TEXT,
    delivered_at    INTEGER,
    given_up_at     INTEGER
) STRICT;
-- The head of each ordering key: its oldest delivery still pending.
CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (ordering_key, seq)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
-- Due pending deliveries, earliest first.
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
-- The admin listing, newest first.
CREATE INDEX ix_webhook_deliveries_created ON webhook_deliveries (created_at, seq);
