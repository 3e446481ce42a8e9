-- Release health at scale (API.md 1.1 "Release health"; issue 12's target: a
-- version with 1 M sessions in its window answered in under a second). One
-- narrow row per session, kept by the event store in the transaction that
-- stores its events, so the health query reads an index range of the
-- version's session starts with the two columns it counts, instead of every
-- event row of the window joined to the crashes.
--
-- A row is keyed by (install_id, session_id): the first app_session_start of
-- the session fills platform, version_code, started_at and actor (a 64-bit
-- key, telemetry::actor_hash); a crash event with that session sets
-- crashed_at, whichever arrives first (a crash first leaves a row without
-- started_at, filled by its session start later). A session start without a
-- sessionId has a row of its own (NULLs are distinct in a UNIQUE index) and
-- never crashes. Rows older than the event retention go with the events.
CREATE TABLE release_sessions (
    id           INTEGER PRIMARY KEY,
    install_id   TEXT    NOT NULL,
    session_id   TEXT,
    platform     TEXT,
    version_code INTEGER,
    started_at   INTEGER,
    actor        INTEGER,
    crashed_at   INTEGER
) STRICT;
CREATE UNIQUE INDEX ux_release_sessions_session ON release_sessions (install_id, session_id);
-- The health counts and the control's search: a covering range per code.
CREATE INDEX ix_release_sessions_version
    ON release_sessions (platform, version_code, started_at, actor, crashed_at)
    WHERE started_at IS NOT NULL;

-- The sessions stored so far (the crash event is the default app_crash: a
-- deployment that set BEACON_CRASH_EVENT to another name counts its crashes
-- from this migration on). The first start of a session wins.
INSERT INTO release_sessions (install_id, session_id, platform, version_code, started_at, actor)
SELECT install_id, session_id, COALESCE(platform, 'unknown'), version_code, event_time,
       beacon_actor_hash(install_id, user_id)
  FROM telemetry_events
 WHERE event_name = 'app_session_start'
 ORDER BY id
    ON CONFLICT (install_id, session_id) DO NOTHING;
INSERT INTO release_sessions (install_id, session_id, crashed_at)
SELECT install_id, session_id, MIN(event_time)
  FROM telemetry_events
 WHERE event_name = 'app_crash' AND session_id IS NOT NULL
 GROUP BY install_id, session_id
    ON CONFLICT (install_id, session_id) DO UPDATE SET crashed_at = excluded.crashed_at;
