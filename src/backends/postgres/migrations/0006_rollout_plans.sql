-- Health-gated rollouts (API.md 1.1 "Health-gated rollouts"): a version's
-- plan (the JSON of releases::rollout_plan_json, as text; NULL: no plan),
-- its state (NULL exactly when there is no plan) and when it last took a
-- step; and the decisions, newest read first. Existing versions keep their
-- data and have no plan; nullable columns without defaults rewrite no row.
ALTER TABLE app_versions ADD COLUMN rollout_plan text;
ALTER TABLE app_versions ADD COLUMN rollout_state text
    CHECK (rollout_state IS NULL OR rollout_state IN ('running', 'paused', 'halted', 'completed'));
ALTER TABLE app_versions ADD COLUMN rollout_last_step_at timestamptz;

CREATE TABLE rollout_decisions (
    id           bigserial   PRIMARY KEY,
    version_id   bigint      NOT NULL REFERENCES app_versions (id) ON DELETE CASCADE,
    at           timestamptz NOT NULL,
    action       text        NOT NULL
        CHECK (action IN ('start', 'advance', 'pause', 'halt', 'resume', 'complete')),
    from_percent integer     NOT NULL,
    to_percent   integer     NOT NULL,
    decided_by   text        NOT NULL,
    reason       text        NOT NULL,
    health       text                          -- JSON; NULL: none
);
CREATE INDEX ix_rollout_decisions_version ON rollout_decisions (version_id, at, id);
