-- Health-gated rollouts (API.md 1.1 "Health-gated rollouts"): a version's
-- plan (the JSON of releases::rollout_plan_json, NULL: no plan), its state
-- (NULL exactly when there is no plan) and when it last took a step (epoch
-- ms); and the decisions, newest read first. Existing versions keep their
-- data and have no plan. The writer connection enables foreign keys, so a
-- version's decisions go with it.
ALTER TABLE app_versions ADD COLUMN rollout_plan TEXT;
ALTER TABLE app_versions ADD COLUMN rollout_state TEXT
    CHECK (rollout_state IS NULL OR rollout_state IN ('running', 'paused', 'halted', 'completed'));
ALTER TABLE app_versions ADD COLUMN rollout_last_step_at INTEGER;

CREATE TABLE rollout_decisions (
    id           INTEGER PRIMARY KEY,
    version_id   INTEGER NOT NULL REFERENCES app_versions (id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    action       TEXT    NOT NULL
        CHECK (action IN ('start', 'advance', 'pause', 'halt', 'resume', 'complete')),
    from_percent INTEGER NOT NULL,
    to_percent   INTEGER NOT NULL,
    decided_by   TEXT    NOT NULL,
    reason       TEXT    NOT NULL,
    health       TEXT                          -- JSON; NULL: none
) STRICT;
CREATE INDEX ix_rollout_decisions_version ON rollout_decisions (version_id, at, id);
