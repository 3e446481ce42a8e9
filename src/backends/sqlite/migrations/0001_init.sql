-- Beacon schema, SQLite dialect. The same logical schema as the PostgreSQL
-- migrations (docs: DESIGN.md "Data"). Instants are epoch milliseconds (UTC)
-- in INTEGER columns; JSON is TEXT. Applied in one transaction by the migrator,
-- which records it in schema_migrations.

-- Append-only event log. `id` is AUTOINCREMENT so ids never repeat, even after
-- retention deletes the newest rows: admin listing cursors rely on it.
CREATE TABLE telemetry_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id     TEXT,
    install_id   TEXT    NOT NULL,
    user_id      TEXT,
    event_name   TEXT    NOT NULL,
    event_time   INTEGER NOT NULL,
    received_at  INTEGER NOT NULL,
    platform     TEXT,
    app_version  TEXT,
    os_version   TEXT,
    device_model TEXT,
    region       TEXT,
    session_id   TEXT,
    properties   TEXT
) STRICT;

-- Retries are safe: (install_id, event_id) is stored once.
CREATE UNIQUE INDEX ux_telemetry_events_install_event
    ON telemetry_events (install_id, event_id) WHERE event_id IS NOT NULL;
-- Listing filters. SQLite appends the rowid (= id) to every index entry, so
-- these also yield rows in id order for "newest first" pages.
CREATE INDEX ix_telemetry_events_install ON telemetry_events (install_id);
CREATE INDEX ix_telemetry_events_user ON telemetry_events (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX ix_telemetry_events_name ON telemetry_events (event_name);
-- Exact DAU (event_name = 'app_session_start' over a time range), and the
-- eventName filter combined with a time range.
CREATE INDEX ix_telemetry_events_name_time ON telemetry_events (event_name, event_time);
-- Time filters and retention.
CREATE INDEX ix_telemetry_events_time ON telemetry_events (event_time);

-- One row per reporting day ('YYYY-MM-DD' in the reporting time zone).
CREATE TABLE daily_active_stats (
    day             TEXT    PRIMARY KEY,
    dau             INTEGER NOT NULL,
    dau_by_platform TEXT    NOT NULL DEFAULT '{}',
    dau_by_region   TEXT    NOT NULL DEFAULT '{}',
    exact           INTEGER NOT NULL CHECK (exact IN (0, 1)),
    computed_at     INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- Per-minute online counts.
CREATE TABLE online_snapshots (
    id             INTEGER PRIMARY KEY,
    ts             INTEGER NOT NULL,
    online_count   INTEGER NOT NULL,
    window_seconds INTEGER NOT NULL
) STRICT;
CREATE INDEX ix_online_snapshots_ts ON online_snapshots (ts);

-- Scheduled jobs: one claim row per (job, tick) makes each tick run once.
CREATE TABLE job_claims (
    job  TEXT    NOT NULL,
    tick INTEGER NOT NULL,
    PRIMARY KEY (job, tick)
) STRICT, WITHOUT ROWID;

CREATE TABLE job_runs (
    job              TEXT    PRIMARY KEY,
    last_run_at      INTEGER NOT NULL,
    last_duration_ms INTEGER NOT NULL,
    last_error       TEXT
) STRICT, WITHOUT ROWID;

-- Uploaded artifacts, content-addressed ('android/<sha256>.apk').
-- `unreferenced_since` is set when the last version using the artifact lets go
-- of it; the cleanup job deletes artifacts unreferenced for 24 h.
CREATE TABLE artifacts (
    key                TEXT    PRIMARY KEY,
    file_name          TEXT    NOT NULL,
    file_size          INTEGER NOT NULL,
    sha256             TEXT    NOT NULL,
    content_type       TEXT    NOT NULL,
    package_name       TEXT,
    detected           TEXT,
    created_at         INTEGER NOT NULL,
    unreferenced_since INTEGER
) STRICT, WITHOUT ROWID;
CREATE INDEX ix_artifacts_unreferenced ON artifacts (unreferenced_since)
    WHERE unreferenced_since IS NOT NULL;

-- App versions. `revision` is the optimistic-lock counter (ETag).
CREATE TABLE app_versions (
    id                         INTEGER PRIMARY KEY AUTOINCREMENT,
    platform                   TEXT    NOT NULL CHECK (platform IN ('android', 'ios')),
    channel                    TEXT    NOT NULL DEFAULT 'stable',
    version_code               INTEGER NOT NULL,
    version_name               TEXT    NOT NULL,
    changelog                  TEXT    NOT NULL DEFAULT '',
    is_force_update            INTEGER NOT NULL DEFAULT 0 CHECK (is_force_update IN (0, 1)),
    is_enabled                 INTEGER NOT NULL DEFAULT 1 CHECK (is_enabled IN (0, 1)),
    min_supported_version_code INTEGER,
    rollout_percent            INTEGER NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
    artifact_key               TEXT,
    artifact_file_name         TEXT,
    artifact_file_size         INTEGER,
    artifact_sha256            TEXT,
    artifact_content_type      TEXT,
    artifact_package_name      TEXT,
    external_url               TEXT,
    released_at                INTEGER,
    created_at                 INTEGER NOT NULL,
    updated_at                 INTEGER NOT NULL,
    revision                   INTEGER NOT NULL DEFAULT 1,
    UNIQUE (platform, channel, version_code)
) STRICT;
CREATE INDEX ix_app_versions_artifact ON app_versions (artifact_key) WHERE artifact_key IS NOT NULL;
