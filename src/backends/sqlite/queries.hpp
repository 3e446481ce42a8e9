#pragma once

#include <string_view>

// Every SQL statement of the SQLite adapter except the schema, which lives in
// migrations/*.sql. Parameters are numbered; the adapter binds them in order.
namespace beacon::backends::sqlite::sql {

// --- Connection setup -------------------------------------------------------

// journal_mode answers the mode in force: "wal" unless the file system cannot
// do WAL. synchronous=FULL syncs the WAL on every commit, so a committed
// append is durable; telemetry::EventIngestor's group commit amortises it.
inline constexpr std::string_view kPragmaWal = "PRAGMA journal_mode = WAL";
inline constexpr std::string_view kPragmaWriter = "PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
// Run when the writer closes: refreshes planner statistics where they are stale.
inline constexpr std::string_view kPragmaOptimize = "PRAGMA optimize";

// --- Migrations -------------------------------------------------------------

inline constexpr std::string_view kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY,"
    " name TEXT NOT NULL,"
    " applied_at INTEGER NOT NULL"
    ") STRICT";
inline constexpr std::string_view kSelectAppliedVersions = "SELECT version FROM schema_migrations ORDER BY version";
inline constexpr std::string_view kSelectMigrationApplied = "SELECT 1 FROM schema_migrations WHERE version = ?1";
// applied_at in epoch milliseconds from SQLite's clock: bookkeeping only.
inline constexpr std::string_view kInsertMigration =
    "INSERT INTO schema_migrations (version, name, applied_at)"
    " VALUES (?1, ?2, CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER))";

// --- Transactions -----------------------------------------------------------

// IMMEDIATE takes the write lock up front, so a busy database fails at BEGIN
// (after busy_timeout) instead of half-way through a batch.
inline constexpr std::string_view kBegin = "BEGIN IMMEDIATE";
inline constexpr std::string_view kCommit = "COMMIT";
inline constexpr std::string_view kRollback = "ROLLBACK";

// --- telemetry_events -------------------------------------------------------

// Only the dedup conflict is ignored; any other constraint failure is an error.
inline constexpr std::string_view kInsertEvent =
    "INSERT INTO telemetry_events (event_id, install_id, user_id, event_name, event_time, received_at,"
    " platform, app_version, os_version, device_model, region, session_id, properties, version_code)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)"
    " ON CONFLICT (install_id, event_id) WHERE event_id IS NOT NULL DO NOTHING";

// The listing query is assembled from these parts: the head, then " WHERE "
// and the present filters joined by " AND " (in this order, each binding the
// next parameter), then the tail, whose parameter is the row limit.
inline constexpr std::string_view kListEventsHead =
    "SELECT id, event_id, install_id, user_id, event_name, event_time, received_at, platform,"
    " app_version, os_version, device_model, region, session_id, properties, version_code FROM telemetry_events";
inline constexpr std::string_view kListFilterEventName = "event_name = ?";
inline constexpr std::string_view kListFilterUserId = "user_id = ?";
inline constexpr std::string_view kListFilterInstallId = "install_id = ?";
inline constexpr std::string_view kListFilterFrom = "event_time >= ?";
inline constexpr std::string_view kListFilterTo = "event_time < ?";
inline constexpr std::string_view kListFilterBeforeId = "id < ?";
inline constexpr std::string_view kListEventsTail = " ORDER BY id DESC LIMIT ?";
// With a time filter the page's ids come first, from the covering time
// index, and only the page's rows are read: no index yields a time range in
// id order, so the range is sorted, and sorting ids instead of whole rows
// took a one-day first page of a 10 M-event log from 261 to 45 ms
// (docs/PERFORMANCE.md). Used as head, " WHERE ", filters, then this tail.
inline constexpr std::string_view kListEventIdsHead = " WHERE id IN (SELECT id FROM telemetry_events";
inline constexpr std::string_view kListEventIdsTail = " ORDER BY id DESC LIMIT ?) ORDER BY id DESC";

// The session starts in [?1, ?2), one row each, for telemetry::DayActorTally
// (the distinct counts are taken in memory: see there). An actor seen under
// two platforms counts once in the total and once under each platform.
inline constexpr std::string_view kSessionStartActors =
    "SELECT user_id, install_id, platform, region FROM telemetry_events"
    " WHERE event_name = 'app_session_start' AND event_time >= ?1 AND event_time < ?2";

// Retention in slices, each its own short transaction, so appends are not
// held up behind one huge delete.
inline constexpr std::string_view kDeleteEventsBefore =
    "DELETE FROM telemetry_events WHERE id IN"
    " (SELECT id FROM telemetry_events WHERE event_time < ?1 LIMIT ?2)";
inline constexpr std::string_view kDeleteLastSessionsBefore =
    "DELETE FROM actor_last_sessions WHERE (platform, actor) IN"
    " (SELECT platform, actor FROM actor_last_sessions WHERE event_time < ?1 LIMIT ?2)";
// A session goes with its start (or, crash-only, with its crash).
inline constexpr std::string_view kDeleteReleaseSessionsBefore =
    "DELETE FROM release_sessions WHERE id IN"
    " (SELECT id FROM release_sessions WHERE COALESCE(started_at, crashed_at) < ?1 LIMIT ?2)";

// --- actor_last_sessions ------------------------------------------------------

// In the append's transaction, for each stored app_session_start: keeps the
// later of the stored row and this one (>=: on a tie the event stored last).
inline constexpr std::string_view kUpsertLastSession =
    "INSERT INTO actor_last_sessions (platform, actor, event_time, version_code) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (platform, actor) DO UPDATE SET event_time = excluded.event_time,"
    " version_code = excluded.version_code WHERE excluded.event_time >= actor_last_sessions.event_time";

// Actors of platform ?1 last seen at or after ?2: all, below code ?3, without
// a code. A covering range scan of ix_actor_last_sessions_time.
inline constexpr std::string_view kCountLeftBehind =
    "SELECT COUNT(*), COALESCE(SUM(version_code < ?3), 0), COALESCE(SUM(version_code IS NULL), 0)"
    " FROM actor_last_sessions WHERE platform = ?1 AND event_time >= ?2";

// --- Adoption ---------------------------------------------------------------

// Platform ?1, [?2, ?3): the session starts in event_time order, one range
// of the partial index ix_telemetry_events_sessions (it covers the columns,
// and its order is the ORDER BY, so no sort). telemetry/adoption_tally counts
// the distinct installs per bucket from them: one COUNT(DISTINCT) pair per
// bucket took 2.3 s for 30 days of 10 M events, the GROUP BY form 3.9 s
// (bench/results/history-*.md).
inline constexpr std::string_view kAdoptionSessionStarts =
    "SELECT event_time, install_id, version_code FROM telemetry_events"
    " WHERE event_name = 'app_session_start' AND platform = ?1 AND event_time >= ?2 AND event_time < ?3"
    " ORDER BY event_time";

// --- Release health -------------------------------------------------------

// The control (the highest code below the version's with sessions in the
// window) is searched code by code, each step an index seek, so its cost
// grows with the codes skipped, never with the sessions. Platform ?1, below
// code ?2: the highest code with any session start (NULL: none).
inline constexpr std::string_view kHealthLowerCode =
    "SELECT MAX(version_code) FROM release_sessions"
    " WHERE platform = ?1 AND version_code < ?2 AND started_at IS NOT NULL";
// Platform ?1, code ?2: 1 when it has a session start in [?3, ?4).
inline constexpr std::string_view kHealthCodeHasSessions =
    "SELECT EXISTS (SELECT 1 FROM release_sessions"
    " WHERE platform = ?1 AND version_code = ?2 AND started_at >= ?3 AND started_at < ?4)";
// Platform ?1, [?2, ?3), codes ?4 and ?5 (the version and its control; the
// same twice without one): each session start's code, actor key and whether
// it crashed, from two covering ranges of ix_release_sessions_version. The
// adapter counts the distinct actors itself (sorting 64-bit integers):
// SQLite's COUNT(DISTINCT) builds a temporary B-tree, 3.0 s for 2 x 1 M
// sessions (bench/results/health-20261203T194055Z.md).
inline constexpr std::string_view kHealthSessions =
    "SELECT version_code, actor, crashed_at IS NOT NULL FROM release_sessions"
    " WHERE platform = ?1 AND version_code IN (?4, ?5) AND started_at >= ?2 AND started_at < ?3";

// In the append's transaction. A stored app_session_start: its session's row,
// unless a start of the same session came first (a crash-only row is filled).
inline constexpr std::string_view kUpsertReleaseSession =
    "INSERT INTO release_sessions (install_id, session_id, platform, version_code, started_at, actor)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (install_id, session_id) DO UPDATE SET platform = excluded.platform,"
    " version_code = excluded.version_code, started_at = excluded.started_at, actor = excluded.actor"
    " WHERE release_sessions.started_at IS NULL";
// A stored crash event with a sessionId: the session crashed (the first crash's time).
inline constexpr std::string_view kUpsertReleaseCrash =
    "INSERT INTO release_sessions (install_id, session_id, crashed_at) VALUES (?1, ?2, ?3)"
    " ON CONFLICT (install_id, session_id) DO UPDATE SET crashed_at = excluded.crashed_at"
    " WHERE release_sessions.crashed_at IS NULL";

// --- daily_active_stats -----------------------------------------------------

inline constexpr std::string_view kUpsertDailyStats =
    "INSERT INTO daily_active_stats (day, dau, dau_by_platform, dau_by_region, exact, computed_at)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
    " ON CONFLICT (day) DO UPDATE SET dau = excluded.dau, dau_by_platform = excluded.dau_by_platform,"
    " dau_by_region = excluded.dau_by_region, exact = excluded.exact, computed_at = excluded.computed_at";
inline constexpr std::string_view kSelectDailyStats =
    "SELECT day, dau, dau_by_platform, dau_by_region, exact, computed_at FROM daily_active_stats"
    " WHERE day >= ?1 AND day <= ?2 ORDER BY day";

// --- online_snapshots -------------------------------------------------------

inline constexpr std::string_view kInsertSnapshot =
    "INSERT INTO online_snapshots (ts, online_count, window_seconds) VALUES (?1, ?2, ?3)";
// Buckets of ?1 ms aligned to the epoch (floored, also before 1970), with the
// sum so that the adapter rounds the average the same way on every backend.
inline constexpr std::string_view kSnapshotBuckets =
    "SELECT ts - (((ts % ?1) + ?1) % ?1) AS bucket, SUM(online_count), MIN(online_count),"
    " MAX(online_count), COUNT(*)"
    " FROM online_snapshots WHERE ts >= ?2 AND ts < ?3 GROUP BY bucket ORDER BY bucket";
inline constexpr std::string_view kDeleteSnapshotsBefore = "DELETE FROM online_snapshots WHERE ts < ?1";
// Snapshots in [?1, ?2), by time and then insertion order.
inline constexpr std::string_view kSnapshotsBetween =
    "SELECT ts, online_count, window_seconds FROM online_snapshots WHERE ts >= ?1 AND ts < ?2 ORDER BY ts, id";
// The highest snapshot in [?1, ?2), the earliest first (the day's peak).
inline constexpr std::string_view kSnapshotPeak =
    "SELECT online_count, ts FROM online_snapshots WHERE ts >= ?1 AND ts < ?2"
    " ORDER BY online_count DESC, ts ASC LIMIT 1";

// --- job_claims, job_runs ---------------------------------------------------

inline constexpr std::string_view kClaimJob =
    "INSERT INTO job_claims (job, tick) VALUES (?1, ?2) ON CONFLICT (job, tick) DO NOTHING";
inline constexpr std::string_view kPruneClaims = "DELETE FROM job_claims WHERE tick < ?1";
inline constexpr std::string_view kUpsertJobRun =
    "INSERT INTO job_runs (job, last_run_at, last_duration_ms, last_error) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at,"
    " last_duration_ms = excluded.last_duration_ms, last_error = excluded.last_error";
inline constexpr std::string_view kSelectJobRuns =
    "SELECT job, last_run_at, last_duration_ms, last_error FROM job_runs ORDER BY job";

// --- Health -----------------------------------------------------------------

inline constexpr std::string_view kPing = "SELECT 1 FROM schema_migrations LIMIT 1";

}  // namespace beacon::backends::sqlite::sql
