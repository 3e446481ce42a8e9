#pragma once

#include <string_view>

// Every SQL statement of the PostgreSQL adapter except the schema, which lives
// in migrations/*.sql, and the partition DDL, which names a partition and is
// assembled in partitions.cpp. Parameters are $n, all sent as text: instants
// as ISO-8601 UTC ('2026-11-25T10:00:00.000Z', exact for timestamptz), and read
// back as epoch milliseconds (the `ms(...)` expressions below: extract()
// returns numeric, so the conversion is exact).
namespace beacon::backends::postgres::sql {

// --- Migrations -------------------------------------------------------------

// Advisory lock keys (the two-int form; the second half is the schema, so
// schemas in one database migrate independently). Held for one transaction.
inline constexpr int kMigrationLock = 0x62636e01;  // "bcn" 1
inline constexpr int kPartitionLock = 0x62636e02;  // "bcn" 2
inline constexpr std::string_view kAdvisoryLock =
    "SELECT pg_advisory_xact_lock($1::int, hashtext(coalesce(current_schema(), '')))";

inline constexpr std::string_view kCreateSchemaMigrations =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version integer PRIMARY KEY,"
    " name text NOT NULL,"
    " applied_at timestamptz NOT NULL DEFAULT now())";
inline constexpr std::string_view kSelectAppliedVersions = "SELECT version FROM schema_migrations ORDER BY version";
inline constexpr std::string_view kSelectMigrationApplied = "SELECT 1 FROM schema_migrations WHERE version = $1";
inline constexpr std::string_view kInsertMigration = "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)";

// --- Transactions -----------------------------------------------------------

inline constexpr std::string_view kBegin = "BEGIN";
inline constexpr std::string_view kCommit = "COMMIT";
inline constexpr std::string_view kRollback = "ROLLBACK";
// Maintenance (migrations, retention) may run longer than a request's statement.
inline constexpr std::string_view kSetLocalStatementTimeout = "SELECT set_config('statement_timeout', $1, true)";

// --- telemetry_events partitions --------------------------------------------

inline constexpr std::string_view kListPartitions =
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid"
    " WHERE i.inhparent = 'telemetry_events'::regclass";

// --- telemetry_events: append -----------------------------------------------

// The adapter removes repeats inside a batch before it sends it, so each
// (install_id, event_id) appears here once. Keys are inserted sorted, so that
// concurrent appends of overlapping batches take their row locks in the same
// order and never deadlock. RETURNING yields the keys that were new.

// Inside BEGIN ... COMMIT, first the keys ($1..$3 parallel arrays), then COPY
// of the events to store, in input order.
inline constexpr std::string_view kInsertEventKeys =
    "INSERT INTO event_keys (install_id, event_id, event_time)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS k(install_id, event_id, event_time)"
    " ORDER BY install_id, event_id"
    " ON CONFLICT DO NOTHING RETURNING install_id, event_id";
inline constexpr std::string_view kCopyEvents =
    "COPY telemetry_events (event_id, install_id, user_id, event_name, event_time, received_at,"
    " platform, app_version, os_version, device_model, region, session_id, properties, version_code) FROM STDIN";

// After the COPY, in its transaction: the stored app_session_starts, one row
// per (platform, actor) (the adapter keeps the latest of a batch), sorted so
// that concurrent appends lock rows in one order. Keeps the later of the
// stored row and the new one (>=: on a tie the event stored last).
inline constexpr std::string_view kUpsertLastSessions =
    "INSERT INTO actor_last_sessions (platform, actor, event_time, version_code)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::integer[])"
    " AS s(platform, actor, event_time, version_code) ORDER BY platform, actor"
    " ON CONFLICT (platform, actor) DO UPDATE SET event_time = excluded.event_time,"
    " version_code = excluded.version_code WHERE excluded.event_time >= actor_last_sessions.event_time";

// --- telemetry_events: reads ------------------------------------------------

// The listing query is assembled from these parts: the head, then " WHERE "
// and the present filters joined by " AND " (in this order, each numbered
// with the next parameter), then the tail, whose parameter is the row limit.
inline constexpr std::string_view kListEventsHead =
    "SELECT id, event_id, install_id, user_id, event_name,"
    " (extract(epoch FROM event_time) * 1000)::bigint, (extract(epoch FROM received_at) * 1000)::bigint,"
    " platform, app_version, os_version, device_model, region, session_id, properties::text, version_code"
    " FROM telemetry_events";
inline constexpr std::string_view kListFilterEventName = "event_name = $";
inline constexpr std::string_view kListFilterUserId = "user_id = $";
inline constexpr std::string_view kListFilterInstallId = "install_id = $";
inline constexpr std::string_view kListFilterFrom = "event_time >= $";
inline constexpr std::string_view kListFilterTo = "event_time < $";
inline constexpr std::string_view kListFilterBeforeId = "id < $";
inline constexpr std::string_view kListEventsTail = " ORDER BY id DESC LIMIT $";

// Distinct actors of app_session_start in [$1, $2), in one aggregation:
// GROUPING() tells the rows apart: 3 = the total, 1 = per platform,
// 2 = per region. An actor seen under two platforms counts once in the total
// and once under each platform. The range prunes partitions.
inline constexpr std::string_view kCountSessionActors =
    "WITH a AS ("
    " SELECT DISTINCT"
    "  CASE WHEN user_id IS NOT NULL THEN 'u:' || user_id ELSE 'i:' || install_id END AS actor,"
    "  COALESCE(platform, 'unknown') AS platform,"
    "  COALESCE(region, 'unknown') AS region"
    " FROM telemetry_events"
    " WHERE event_name = 'app_session_start' AND event_time >= $1 AND event_time < $2)"
    " SELECT GROUPING(platform, region), platform, region, COUNT(DISTINCT actor) FROM a"
    " GROUP BY GROUPING SETS ((), (platform), (region))";

// Actors of platform $1 last seen at or after $2: all, below code $3, without
// a code. An index-only range scan of ix_actor_last_sessions_time.
inline constexpr std::string_view kCountLeftBehind =
    "SELECT count(*), count(*) FILTER (WHERE version_code < $3), count(*) FILTER (WHERE version_code IS NULL)"
    " FROM actor_last_sessions WHERE platform = $1 AND event_time >= $2";

// Buckets [$1[i], $2[i]), platform $3, code $4: per bucket with session
// starts, its start (epoch ms), distinct installs at the code, and distinct
// installs of the platform. One aggregate per bucket (LATERAL) over an
// index-only range scan of the partial index ix_telemetry_events_sessions,
// each install's row first (GROUP BY install_id, which the planner hashes),
// then counted: count(DISTINCT) sorts every install id of the bucket with
// the collation's comparison, and one GROUP BY over the whole range made the
// planner sort every row (misestimated 20x, spilling, JIT). 30 days of 10 M
// events: 0.9 s, against 1.6 s with count(DISTINCT) per bucket and 3.1 s
// with one GROUP BY (bench/results/history-*.md).
inline constexpr std::string_view kCountAdoption =
    "SELECT (extract(epoch FROM b.s) * 1000)::bigint, x.at_code, x.installs"
    " FROM unnest($1::timestamptz[], $2::timestamptz[]) AS b(s, e)"
    " CROSS JOIN LATERAL (SELECT count(*) FILTER (WHERE g.hit) AS at_code, count(*) AS installs"
    "  FROM (SELECT bool_or(t.version_code = $4) AS hit FROM telemetry_events t"
    "   WHERE t.event_name = 'app_session_start' AND t.platform = $3 AND t.event_time >= b.s"
    "   AND t.event_time < b.e GROUP BY t.install_id) g) x"
    " WHERE x.installs > 0 ORDER BY b.s";

// --- telemetry_events: retention --------------------------------------------

// Retention drops whole monthly partitions (partitions.cpp has the DDL) and
// deletes no event row; the dedup keys of the dropped months are deleted
// here, in slices of $2 rows, each its own transaction.
inline constexpr std::string_view kDeleteEventKeysBefore =
    "DELETE FROM event_keys"
    " WHERE ctid = ANY (ARRAY(SELECT ctid FROM event_keys WHERE event_time < $1 LIMIT $2))";
// The latest session starts of the dropped months go the same way.
inline constexpr std::string_view kDeleteLastSessionsBefore =
    "DELETE FROM actor_last_sessions"
    " WHERE ctid = ANY (ARRAY(SELECT ctid FROM actor_last_sessions WHERE event_time < $1 LIMIT $2))";
// The sessions of the dropped months (by their start, or a crash-only one by its crash).
inline constexpr std::string_view kDeleteReleaseSessionsBefore =
    "DELETE FROM release_sessions WHERE ctid = ANY (ARRAY(SELECT ctid FROM release_sessions"
    " WHERE COALESCE(started_at, crashed_at) < $1 LIMIT $2))";

// --- Release health -------------------------------------------------------

// The control (the highest code below the version's with sessions in the
// window) is searched code by code, each step an index seek, so its cost
// grows with the codes skipped, never with the sessions. Platform $1, below
// code $2: the highest code with any session start (NULL: none).
inline constexpr std::string_view kHealthLowerCode =
    "SELECT max(version_code) FROM release_sessions"
    " WHERE platform = $1 AND version_code < $2 AND started_at IS NOT NULL";
// Platform $1, code $2: whether it has a session start in [$3, $4).
inline constexpr std::string_view kHealthCodeHasSessions =
    "SELECT EXISTS (SELECT 1 FROM release_sessions"
    " WHERE platform = $1 AND version_code = $2 AND started_at >= $3 AND started_at < $4)";
// Platform $1, [$2, $3), codes $4 and $5 (the version and its control; the
// same twice without one): per code with sessions, its sessions, crashed
// sessions, users and crashed users. Index-only ranges of
// ix_release_sessions_version; the distinct actors are 64-bit integers.
inline constexpr std::string_view kHealthCounts =
    "SELECT version_code, count(*), count(crashed_at), count(DISTINCT actor),"
    " count(DISTINCT actor) FILTER (WHERE crashed_at IS NOT NULL)"
    " FROM release_sessions"
    " WHERE platform = $1 AND version_code IN ($4, $5) AND started_at >= $2 AND started_at < $3"
    " GROUP BY version_code";

// In the append's transaction, one row per session of the batch (the first
// start of each; in key order, so that concurrent appends lock rows in one
// order): its session's row, unless a start of the same session came first
// (a crash-only row is filled).
inline constexpr std::string_view kUpsertReleaseSessions =
    "INSERT INTO release_sessions (install_id, session_id, platform, version_code, started_at, actor)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::integer[], $5::timestamptz[], $6::bigint[])"
    " AS s(install_id, session_id, platform, version_code, started_at, actor) ORDER BY install_id, session_id"
    " ON CONFLICT (install_id, session_id) DO UPDATE SET platform = excluded.platform,"
    " version_code = excluded.version_code, started_at = excluded.started_at, actor = excluded.actor"
    " WHERE release_sessions.started_at IS NULL";
// The stored crash events with a sessionId, one per session: it crashed
// (the first crash's time).
inline constexpr std::string_view kUpsertReleaseCrashes =
    "INSERT INTO release_sessions (install_id, session_id, crashed_at)"
    " SELECT * FROM unnest($1::text[], $2::text[], $3::timestamptz[]) AS s(install_id, session_id, crashed_at)"
    " ORDER BY install_id, session_id"
    " ON CONFLICT (install_id, session_id) DO UPDATE SET crashed_at = excluded.crashed_at"
    " WHERE release_sessions.crashed_at IS NULL";

// --- daily_active_stats -----------------------------------------------------

inline constexpr std::string_view kUpsertDailyStats =
    "INSERT INTO daily_active_stats (day, dau, dau_by_platform, dau_by_region, exact, computed_at)"
    " VALUES ($1, $2, $3, $4, $5, $6)"
    " ON CONFLICT (day) DO UPDATE SET dau = excluded.dau, dau_by_platform = excluded.dau_by_platform,"
    " dau_by_region = excluded.dau_by_region, exact = excluded.exact, computed_at = excluded.computed_at";
inline constexpr std::string_view kSelectDailyStats =
    "SELECT to_char(day, 'YYYY-MM-DD'), dau, dau_by_platform::text, dau_by_region::text, exact,"
    " (extract(epoch FROM computed_at) * 1000)::bigint"
    " FROM daily_active_stats WHERE day >= $1 AND day <= $2 ORDER BY day";

// --- online_snapshots -------------------------------------------------------

inline constexpr std::string_view kInsertSnapshot =
    "INSERT INTO online_snapshots (ts, online_count, window_seconds) VALUES ($1, $2, $3)";
// Buckets of $1 ms aligned to the epoch (floored, also before 1970), with the
// sum so that the adapter rounds the average the same way on every backend.
inline constexpr std::string_view kSnapshotBuckets =
    "SELECT ms - (((ms % $1::bigint) + $1::bigint) % $1::bigint) AS bucket, SUM(online_count),"
    " MIN(online_count), MAX(online_count), COUNT(*)"
    " FROM (SELECT (extract(epoch FROM ts) * 1000)::bigint AS ms, online_count FROM online_snapshots"
    "       WHERE ts >= $2 AND ts < $3) s"
    " GROUP BY bucket ORDER BY bucket";
inline constexpr std::string_view kDeleteSnapshotsBefore = "DELETE FROM online_snapshots WHERE ts < $1";
// Snapshots in [$1, $2), by time and then insertion order (the identity).
inline constexpr std::string_view kSnapshotsBetween =
    "SELECT (extract(epoch FROM ts) * 1000)::bigint, online_count, window_seconds FROM online_snapshots"
    " WHERE ts >= $1 AND ts < $2 ORDER BY ts, id";
// Per range [$1[i], $2[i]): i (from 1), the highest snapshot in it and the
// earliest ts with that count; ranges without snapshots give no row.
inline constexpr std::string_view kSnapshotPeaks =
    "SELECT b.i, p.online_count, (extract(epoch FROM p.ts) * 1000)::bigint"
    " FROM unnest($1::timestamptz[], $2::timestamptz[]) WITH ORDINALITY AS b(s, e, i)"
    " CROSS JOIN LATERAL (SELECT online_count, ts FROM online_snapshots WHERE ts >= b.s AND ts < b.e"
    "  ORDER BY online_count DESC, ts LIMIT 1) p"
    " ORDER BY b.i";

// --- job_claims, job_runs ---------------------------------------------------

inline constexpr std::string_view kClaimJob =
    "INSERT INTO job_claims (job, tick) VALUES ($1, $2) ON CONFLICT (job, tick) DO NOTHING";
inline constexpr std::string_view kPruneClaims = "DELETE FROM job_claims WHERE tick < $1";
inline constexpr std::string_view kUpsertJobRun =
    "INSERT INTO job_runs (job, last_run_at, last_duration_ms, last_error) VALUES ($1, $2, $3, $4)"
    " ON CONFLICT (job) DO UPDATE SET last_run_at = excluded.last_run_at,"
    " last_duration_ms = excluded.last_duration_ms, last_error = excluded.last_error";
// "Job $1 is running" (pg_run_claims.hpp): a session-level advisory lock,
// keyed by a 64-bit hash of schema and job name (the one-bigint key space is
// apart from the two-int keys above). The same statement makes the server
// notice a vanished client within ~30 s (keepalive after 10 s idle, then
// every 5 s, 3 misses; unacknowledged data for 30 s), so a dead replica's
// claim does not wait for the kernel's default two hours.
inline constexpr std::string_view kTryRunLock =
    "SELECT pg_try_advisory_lock(hashtextextended('beacon-run/' || coalesce(current_schema(), '') || '/' || $1, 0)),"
    " set_config('tcp_keepalives_idle', '10', false), set_config('tcp_keepalives_interval', '5', false),"
    " set_config('tcp_keepalives_count', '3', false), set_config('tcp_user_timeout', '30000', false)";
inline constexpr std::string_view kSelectJobRuns =
    "SELECT job, (extract(epoch FROM last_run_at) * 1000)::bigint, last_duration_ms, last_error"
    " FROM job_runs ORDER BY job";

// --- Health -----------------------------------------------------------------

inline constexpr std::string_view kPing = "SELECT 1 FROM schema_migrations LIMIT 1";

}  // namespace beacon::backends::postgres::sql
