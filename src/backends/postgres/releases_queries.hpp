#pragma once

#include <string_view>

// The SQL of PgVersionRepository (app_versions, artifacts, catalog_state).
// The schema lives in migrations/*.sql (0001 creates the tables, 0002 the
// catalog revision); transactions use queries.hpp's kBegin, kCommit and
// kRollback. Parameters are $n, sent as text and cast here; instants go in as
// ISO-8601 UTC and come back as epoch milliseconds.
namespace beacon::backends::postgres::sql {

// --- app_versions -----------------------------------------------------------

// The columns every version query returns, in the order read_version() reads.
#define BEACON_PG_VERSION_COLUMNS                                                                                \
    "id, platform, channel, version_code, version_name, changelog, is_force_update, is_enabled,"                 \
    " min_supported_version_code, rollout_percent, artifact_key, artifact_file_name, artifact_file_size,"        \
    " artifact_sha256, artifact_content_type, artifact_package_name, external_url,"                              \
    " (extract(epoch FROM released_at) * 1000)::bigint, (extract(epoch FROM created_at) * 1000)::bigint,"        \
    " (extract(epoch FROM updated_at) * 1000)::bigint, revision, force_after_days, rollout_plan, rollout_state," \
    " (extract(epoch FROM rollout_last_step_at) * 1000)::bigint"

// Insert and update take the writable fields as $1..$18 (version_params(),
// $18 being updated_at); insert adds $19 = created_at and $20..$23 =
// force_after_days and the rollout plan, state and last step
// (add_tail_fields()), update $19 = id, $20 = the expected revision and
// $21..$24 = the same tail.
inline constexpr std::string_view kInsertVersion =
    "INSERT INTO app_versions (platform, channel, version_code, version_name, changelog, is_force_update,"
    " is_enabled, min_supported_version_code, rollout_percent, artifact_key, artifact_file_name,"
    " artifact_file_size, artifact_sha256, artifact_content_type, artifact_package_name, external_url,"
    " released_at, updated_at, created_at, revision, force_after_days, rollout_plan, rollout_state,"
    " rollout_last_step_at)"
    " VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text, $6::boolean, $7::boolean, $8::bigint,"
    " $9::integer, $10::text, $11::text, $12::bigint, $13::text, $14::text, $15::text, $16::text,"
    " $17::timestamptz, $18::timestamptz, $19::timestamptz, 1, $20::integer, $21::text, $22::text,"
    " $23::timestamptz)"
    " RETURNING " BEACON_PG_VERSION_COLUMNS;

// The compare-and-set: no row when the id is unknown or the revision moved
// (under READ COMMITTED a concurrent winner's row is re-checked after its
// commit, so exactly one of two racing updates matches). created_at is never
// rewritten.
inline constexpr std::string_view kUpdateVersion =
    "UPDATE app_versions SET platform = $1::text, channel = $2::text, version_code = $3::bigint,"
    " version_name = $4::text, changelog = $5::text, is_force_update = $6::boolean, is_enabled = $7::boolean,"
    " min_supported_version_code = $8::bigint, rollout_percent = $9::integer, artifact_key = $10::text,"
    " artifact_file_name = $11::text, artifact_file_size = $12::bigint, artifact_sha256 = $13::text,"
    " artifact_content_type = $14::text, artifact_package_name = $15::text, external_url = $16::text,"
    " released_at = $17::timestamptz, updated_at = $18::timestamptz, force_after_days = $21::integer,"
    " rollout_plan = $22::text, rollout_state = $23::text, rollout_last_step_at = $24::timestamptz,"
    " revision = revision + 1"
    " WHERE id = $19::bigint AND revision = $20::bigint"
    " RETURNING " BEACON_PG_VERSION_COLUMNS;

// $2 NULL: delete whatever the revision.
inline constexpr std::string_view kDeleteVersion =
    "DELETE FROM app_versions WHERE id = $1::bigint AND ($2::bigint IS NULL OR revision = $2::bigint)"
    " RETURNING " BEACON_PG_VERSION_COLUMNS;

inline constexpr std::string_view kSelectVersion =
    "SELECT " BEACON_PG_VERSION_COLUMNS " FROM app_versions WHERE id = $1::bigint";

// Why a compare-and-set found no row: no row here either means NotFound.
inline constexpr std::string_view kSelectVersionRevision =
    "SELECT revision, artifact_key FROM app_versions WHERE id = $1::bigint";

// Filters are NULL when absent; $4/$5 is the keyset cursor (version_code, id).
inline constexpr std::string_view kListVersions =
    "SELECT " BEACON_PG_VERSION_COLUMNS
    " FROM app_versions"
    " WHERE ($1::text IS NULL OR platform = $1::text) AND ($2::text IS NULL OR channel = $2::text)"
    " AND ($3::boolean IS NULL OR is_enabled = $3::boolean)"
    " AND ($4::bigint IS NULL OR (version_code, id) < ($4::bigint, $5::bigint))"
    " ORDER BY version_code DESC, id DESC LIMIT $6::bigint";

inline constexpr std::string_view kSelectEnabledVersions =
    "SELECT " BEACON_PG_VERSION_COLUMNS " FROM app_versions WHERE is_enabled";

#undef BEACON_PG_VERSION_COLUMNS

// --- rollout_decisions --------------------------------------------------------

inline constexpr std::string_view kInsertRolloutDecision =
    "INSERT INTO rollout_decisions (version_id, at, action, from_percent, to_percent, decided_by, reason, health)"
    " VALUES ($1::bigint, $2::timestamptz, $3::text, $4::integer, $5::integer, $6::text, $7::text, $8::text)";

inline constexpr std::string_view kListRolloutDecisions =
    "SELECT (extract(epoch FROM at) * 1000)::bigint, action, from_percent, to_percent, decided_by, reason, health"
    " FROM rollout_decisions WHERE version_id = $1::bigint ORDER BY at DESC, id DESC LIMIT $2::bigint";

// Names of the codes in $2 on platform $1, per code "stable" first, then by
// channel name: the adapter keeps each code's first row.
inline constexpr std::string_view kSelectVersionNames =
    "SELECT version_code, version_name FROM app_versions"
    " WHERE platform = $1 AND version_code = ANY ($2::bigint[])"
    " ORDER BY version_code, channel <> 'stable', channel";

// --- catalog_state ----------------------------------------------------------

inline constexpr std::string_view kSelectCatalogRevision = "SELECT revision FROM catalog_state WHERE id = 1";
// Taken first by every version write: serialises them (see 0002_release_catalog.sql).
inline constexpr std::string_view kLockCatalogState = "SELECT revision FROM catalog_state WHERE id = 1 FOR UPDATE";
// One snapshot for the revision and the enabled versions.
inline constexpr std::string_view kBeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

// --- artifacts --------------------------------------------------------------

#define BEACON_PG_ARTIFACT_COLUMNS                                                   \
    "key, file_name, file_size, sha256, content_type, package_name, detected::text," \
    " (extract(epoch FROM created_at) * 1000)::bigint, (extract(epoch FROM unreferenced_since) * 1000)::bigint"

// Idempotent by key. A new record is unreferenced from its creation unless
// some version uses the key already. Returns a row only when it inserted.
inline constexpr std::string_view kInsertArtifact =
    "INSERT INTO artifacts (key, file_name, file_size, sha256, content_type, package_name, detected, created_at,"
    " unreferenced_since)"
    " VALUES ($1::text, $2::text, $3::bigint, $4::text, $5::text, $6::text, $7::jsonb, $8::timestamptz,"
    " CASE WHEN EXISTS (SELECT 1 FROM app_versions WHERE artifact_key = $1::text) THEN NULL"
    " ELSE $8::timestamptz END)"
    " ON CONFLICT (key) DO NOTHING RETURNING key";

inline constexpr std::string_view kSelectArtifact =
    "SELECT " BEACON_PG_ARTIFACT_COLUMNS " FROM artifacts WHERE key = $1::text";

inline constexpr std::string_view kCountVersionsUsing =
    "SELECT COUNT(*) FROM app_versions WHERE artifact_key = $1::text";

// A version takes the artifact: no row changed means the key is unknown. The
// row lock it takes (held to commit) orders it against
// kLockArtifactForDelete.
inline constexpr std::string_view kClaimArtifact =
    "UPDATE artifacts SET unreferenced_since = NULL WHERE key = $1::text";

// A version let go of the artifact: unreferenced from $2 if it was the last.
inline constexpr std::string_view kReleaseArtifact =
    "UPDATE artifacts SET unreferenced_since = $2::timestamptz"
    " WHERE key = $1::text AND unreferenced_since IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM app_versions WHERE artifact_key = $1::text)";

inline constexpr std::string_view kListUnreferencedArtifacts =
    "SELECT " BEACON_PG_ARTIFACT_COLUMNS
    " FROM artifacts WHERE unreferenced_since IS NOT NULL AND unreferenced_since <= $1::timestamptz"
    " ORDER BY unreferenced_since, key LIMIT $2::bigint";

// The cleanup's delete is two statements in one transaction: the row lock
// first (waiting for a version write that claimed the artifact to commit),
// then the delete, whose fresh READ COMMITTED snapshot sees that version.
inline constexpr std::string_view kLockArtifactForDelete = "SELECT 1 FROM artifacts WHERE key = $1::text FOR UPDATE";
// $2 NULL: whenever it became unreferenced.
inline constexpr std::string_view kDeleteUnreferencedArtifact =
    "DELETE FROM artifacts WHERE key = $1::text"
    " AND NOT EXISTS (SELECT 1 FROM app_versions WHERE artifact_key = $1::text)"
    " AND ($2::timestamptz IS NULL OR (unreferenced_since IS NOT NULL AND unreferenced_since <= $2::timestamptz))";

#undef BEACON_PG_ARTIFACT_COLUMNS

}  // namespace beacon::backends::postgres::sql
