-- Versions in telemetry (API.md 1.1 "Versions in telemetry"). Existing rows
-- keep their data: version_code is NULL for events stored before it existed
-- (adding a nullable column without a default rewrites no partition).

-- The app's build number (Android versionCode, iOS CFBundleVersion).
ALTER TABLE telemetry_events ADD COLUMN version_code integer
    CHECK (version_code IS NULL OR version_code >= 0);

-- Adoption per build (/admin/versions/{id}/adoption): the session starts of
-- one platform over a time range, with the two columns the query counts, so
-- it is an index-only scan of this partial index (per monthly partition).
CREATE INDEX ix_telemetry_events_sessions
    ON telemetry_events (platform, event_time) INCLUDE (install_id, version_code)
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
    platform     text        NOT NULL,
    actor        text        NOT NULL,
    event_time   timestamptz NOT NULL,
    version_code integer,
    PRIMARY KEY (platform, actor)
);
CREATE INDEX ix_actor_last_sessions_time ON actor_last_sessions (platform, event_time) INCLUDE (version_code);

-- The session starts stored so far.
INSERT INTO actor_last_sessions (platform, actor, event_time, version_code)
SELECT DISTINCT ON (1, 2)
       COALESCE(platform, 'unknown'),
       CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id ELSE 'i:' || install_id END,
       event_time, NULL::integer
  FROM telemetry_events
 WHERE event_name = 'app_session_start'
 ORDER BY 1, 2, event_time DESC;
