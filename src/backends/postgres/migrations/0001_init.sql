-- Beacon schema, PostgreSQL dialect (15+). The same logical schema as the
-- SQLite migrations (DESIGN.md "Data"), in PostgreSQL's own types: instants
-- are timestamptz (UTC, microsecond precision; Beacon writes milliseconds),
-- days are date, JSON is jsonb, flags are boolean. Applied in one transaction
-- by the migrator, under an advisory lock, and recorded in schema_migrations.
-- Nothing here names a schema: everything lands in the first schema of the
-- connection's search_path.

-- Append-only event log, partitioned by month of event_time so that retention
-- drops whole partitions. The partitions themselves (telemetry_events_pYYYYMM,
-- bounds [first of month, first of next month) in UTC) are created by the
-- adapter: at start and by every retention run for the current month and the
-- next two, and on demand by an append that meets a month without one.
--
-- `id` comes from a sequence (identity columns need PostgreSQL 17 on a
-- partitioned table), so ids never repeat, even after retention: admin
-- listing cursors rely on it. No primary key: a unique index on a partitioned
-- table must contain event_time; the sequence alone keeps ids unique.
CREATE SEQUENCE telemetry_events_id_seq AS bigint;
CREATE TABLE telemetry_events (
    id           bigint      NOT NULL DEFAULT nextval('telemetry_events_id_seq'),
    event_id     text,
    install_id   text        NOT NULL,
    user_id      text,
    event_name   text        NOT NULL,
    event_time   timestamptz NOT NULL,
    received_at  timestamptz NOT NULL,
    platform     text,
    app_version  text,
    os_version   text,
    device_model text,
    region       text,
    session_id   text,
    properties   jsonb
) PARTITION BY RANGE (event_time);
ALTER SEQUENCE telemetry_events_id_seq OWNED BY telemetry_events.id;

-- Listing is newest first by id, optionally filtered: each filter's index ends
-- in id, so a page is an ordered (merge-appended) index scan with a LIMIT.
CREATE INDEX ix_telemetry_events_id ON telemetry_events (id);
CREATE INDEX ix_telemetry_events_install ON telemetry_events (install_id, id);
CREATE INDEX ix_telemetry_events_user ON telemetry_events (user_id, id) WHERE user_id IS NOT NULL;
CREATE INDEX ix_telemetry_events_name ON telemetry_events (event_name, id);
-- Exact DAU (event_name = 'app_session_start' over a time range).
CREATE INDEX ix_telemetry_events_name_time ON telemetry_events (event_name, event_time);
-- Time filters and the retention delete in the boundary partition. event_time
-- follows arrival closely, so a BRIN index does it at a fraction of the cost.
CREATE INDEX ix_telemetry_events_time ON telemetry_events USING brin (event_time);

-- Retries are safe: (install_id, event_id) is stored once. A unique index on
-- telemetry_events would have to include event_time, so the keys live in this
-- plain table instead, written in the same transaction as the events and
-- pruned by retention together with them (event_time is the event's).
CREATE TABLE event_keys (
    install_id text        NOT NULL,
    event_id   text        NOT NULL,
    event_time timestamptz NOT NULL,
    PRIMARY KEY (install_id, event_id)
);
CREATE INDEX ix_event_keys_time ON event_keys (event_time);

-- One row per reporting day (in the reporting time zone).
CREATE TABLE daily_active_stats (
    day             date        PRIMARY KEY,
    dau             bigint      NOT NULL,
    dau_by_platform jsonb       NOT NULL DEFAULT '{}',
    dau_by_region   jsonb       NOT NULL DEFAULT '{}',
    exact           boolean     NOT NULL,
    computed_at     timestamptz NOT NULL
);

-- Per-minute online counts.
CREATE TABLE online_snapshots (
    id             bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    ts             timestamptz NOT NULL,
    online_count   bigint      NOT NULL,
    window_seconds bigint      NOT NULL
);
CREATE INDEX ix_online_snapshots_ts ON online_snapshots (ts);

-- Scheduled jobs: one claim row per (job, tick) makes each tick run once
-- cluster-wide (INSERT ... ON CONFLICT DO NOTHING has exactly one winner).
CREATE TABLE job_claims (
    job  text        NOT NULL,
    tick timestamptz NOT NULL,
    PRIMARY KEY (job, tick)
);

CREATE TABLE job_runs (
    job              text        PRIMARY KEY,
    last_run_at      timestamptz NOT NULL,
    last_duration_ms bigint      NOT NULL,
    last_error       text
);

-- Uploaded artifacts, content-addressed ('android/<sha256>.apk').
-- `unreferenced_since` is set when the last version using the artifact lets go
-- of it; the cleanup job deletes artifacts unreferenced for 24 h.
CREATE TABLE artifacts (
    key                text        PRIMARY KEY,
    file_name          text        NOT NULL,
    file_size          bigint      NOT NULL,
    sha256             text        NOT NULL,
    content_type       text        NOT NULL,
    package_name       text,
    detected           jsonb,
    created_at         timestamptz NOT NULL,
    unreferenced_since timestamptz
);
CREATE INDEX ix_artifacts_unreferenced ON artifacts (unreferenced_since)
    WHERE unreferenced_since IS NOT NULL;

-- App versions. `revision` is the optimistic-lock counter (ETag).
CREATE TABLE app_versions (
    id                         bigint      GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY,
    platform                   text        NOT NULL CHECK (platform IN ('android', 'ios')),
    channel                    text        NOT NULL DEFAULT 'stable',
    version_code               bigint      NOT NULL,
    version_name               text        NOT NULL,
    changelog                  text        NOT NULL DEFAULT '',
    is_force_update            boolean     NOT NULL DEFAULT false,
    is_enabled                 boolean     NOT NULL DEFAULT true,
    min_supported_version_code bigint,
    rollout_percent            integer     NOT NULL DEFAULT 100 CHECK (rollout_percent BETWEEN 0 AND 100),
    artifact_key               text,
    artifact_file_name         text,
    artifact_file_size         bigint,
    artifact_sha256            text,
    artifact_content_type      text,
    artifact_package_name      text,
    external_url               text,
    released_at                timestamptz,
    created_at                 timestamptz NOT NULL,
    updated_at                 timestamptz NOT NULL,
    revision                   bigint      NOT NULL DEFAULT 1,
    UNIQUE (platform, channel, version_code)
);
CREATE INDEX ix_app_versions_artifact ON app_versions (artifact_key) WHERE artifact_key IS NOT NULL;
