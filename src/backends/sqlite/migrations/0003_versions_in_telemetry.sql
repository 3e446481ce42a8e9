-- Versions in telemetry (API.md 1.1 "Versions in telemetry"). Existing rows
-- keep their data: version_code is NULL for events stored before it existed.

-- The app's build number (Android versionCode, iOS CFBundleVersion).
ALTER TABLE telemetry_events ADD COLUMN version_code INTEGER
    CHECK (version_code IS NULL OR version_code BETWEEN 0 AND 2147483647);

-- Adoption per build (/admin/versions/{id}/adoption): the session starts of
-- one platform over a time range, with the two columns the query counts, so
-- it reads this partial index only and never the (wide) event rows.
CREATE INDEX ix_telemetry_events_sessions
    ON telemetry_events (platform, event_time, install_id, version_code)
    WHERE event_name = 'app_session_start';

-- Who is left behind (/admin/telemetry/versions/below): each actor's latest
-- app_session_start per platform ('unknown' when the event named none), kept
-- by the event store in the transaction that stores the event. The window of
-- that query always runs to now, so an actor's latest session start in the
-- window is its latest one overall when that one lies in the window, and it
-- has none there otherwise: the query reads one row per actor instead of
-- every session start of the window. Ties on event_time go to the event
-- stored last. Rows older than the event retention are pruned with it.
CREATE TABLE actor_last_sessions (
    platform     TEXT    NOT NULL,
    actor        TEXT    NOT NULL,
    event_time   INTEGER NOT NULL,
    version_code INTEGER,
    PRIMARY KEY (platform, actor)
) STRICT, WITHOUT ROWID;
CREATE INDEX ix_actor_last_sessions_time ON actor_last_sessions (platform, event_time, version_code);

-- The session starts stored so far: SQLite's bare columns of a max() row
-- come from that row (none here but the key).
INSERT INTO actor_last_sessions (platform, actor, event_time, version_code)
SELECT COALESCE(platform, 'unknown'),
       CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id ELSE 'i:' || install_id END,
       MAX(event_time), NULL
  FROM telemetry_events
 WHERE event_name = 'app_session_start'
 GROUP BY 1, 2;
