-- The webhook outbox (API.md 1.1 "Webhooks"; src/webhooks/outbox.hpp): one
-- row per delivery, kept after it is delivered or given up so that
-- GET /admin/webhooks/deliveries can show it. Adds a table; existing data
-- is untouched.
CREATE TABLE webhook_deliveries (
    seq             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,  -- enqueue order
    id              text        NOT NULL UNIQUE,  -- the body's "id"
    type            text        NOT NULL,
    ordering_key    text        NOT NULL,
    body            text        NOT NULL,         -- fixed at enqueue
    created_at      timestamptz NOT NULL,
    attempts        integer     NOT NULL DEFAULT 0,
    next_attempt_at timestamptz NOT NULL,
    claimed_until   timestamptz,                  -- a replica's lease
    last_attempt_at timestamptz,
    last_status     integer,                      -- HTTP status; NULL: no answer
    last_error      text,
    delivered_at    timestamptz,
    given_up_at     timestamptz
);
-- The head of each ordering key: its oldest delivery still pending.
CREATE INDEX ix_webhook_deliveries_pending ON webhook_deliveries (ordering_key, seq)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
-- Due pending deliveries, earliest first.
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (next_attempt_at)
    WHERE delivered_at IS NULL AND given_up_at IS NULL;
-- The admin listing, newest first.
CREATE INDEX ix_webhook_deliveries_created ON webhook_deliveries (created_at, seq);
