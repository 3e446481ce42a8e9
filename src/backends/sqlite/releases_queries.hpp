#pragma once

#include <string_view>

// The SQL of SqliteVersionRepository (app_versions, artifacts, catalog_state).
// The schema lives in migrations/*.sql; transactions use queries.hpp's kBegin,
// kCommit and kRollback. Parameters are numbered; the adapter binds them.
namespace beacon::backends::sqlite::sql {

// --- app_versions -----------------------------------------------------------

// The columns every version query returns, in the order read_version() reads.
#define BEACON_SQLITE_VERSION_COLUMNS                                                                     \
    "id, platform, channel, version_code, version_name, changelog, is_force_update, is_enabled,"          \
    " min_supported_version_code, rollout_percent, artifact_key, artifact_file_name, artifact_file_size," \
    " artifact_sha256, artifact_content_type, artifact_package_name, external_url, released_at,"          \
    " created_at, updated_at, revision, force_after_days, rollout_plan, rollout_state, rollout_last_step_at"

// Insert and update bind the writable fields as ?2..?19 and ?22..?25
// (bind_version_fields, ?19 being updated_at, ?22 force_after_days, ?23..?25
// the rollout plan, state and last step); insert adds ?21 = created_at,
// update ?1 = id and ?20 = the expected revision.
inline constexpr std::string_view kInsertVersion =
    "INSERT INTO app_versions (platform, channel, version_code, version_name, changelog, is_force_update,"
    " is_enabled, min_supported_version_code, rollout_percent, artifact_key, artifact_file_name,"
    " artifact_file_size, artifact_sha256, artifact_content_type, artifact_package_name, external_url,"
    " released_at, created_at, updated_at, revision, force_after_days, rollout_plan, rollout_state,"
    " rollout_last_step_at)"
    " VALUES (?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?21, ?19, 1, ?22, ?23, ?24,"
    " ?25)"
    " RETURNING " BEACON_SQLITE_VERSION_COLUMNS;

// The compare-and-set: no row when the id is unknown or the revision moved.
// created_at is never rewritten.
inline constexpr std::string_view kUpdateVersion =
    "UPDATE app_versions SET platform = ?2, channel = ?3, version_code = ?4, version_name = ?5,"
    " changelog = ?6, is_force_update = ?7, is_enabled = ?8, min_supported_version_code = ?9,"
    " rollout_percent = ?10, artifact_key = ?11, artifact_file_name = ?12, artifact_file_size = ?13,"
    " artifact_sha256 = ?14, artifact_content_type = ?15, artifact_package_name = ?16, external_url = ?17,"
    " released_at = ?18, updated_at = ?19, force_after_days = ?22, rollout_plan = ?23, rollout_state = ?24,"
    " rollout_last_step_at = ?25, revision = revision + 1"
    " WHERE id = ?1 AND revision = ?20"
    " RETURNING " BEACON_SQLITE_VERSION_COLUMNS;

// ?2 NULL: delete whatever the revision.
inline constexpr std::string_view kDeleteVersion =
    "DELETE FROM app_versions WHERE id = ?1 AND (?2 IS NULL OR revision = ?2)"
    " RETURNING " BEACON_SQLITE_VERSION_COLUMNS;

inline constexpr std::string_view kSelectVersion =
    "SELECT " BEACON_SQLITE_VERSION_COLUMNS " FROM app_versions WHERE id = ?1";

// Why a compare-and-set found no row: no row here either means NotFound.
inline constexpr std::string_view kSelectVersionRevision =
    "SELECT revision, artifact_key FROM app_versions WHERE id = ?1";

// Filters are NULL when absent; ?4/?5 is the keyset cursor (version_code, id).
inline constexpr std::string_view kListVersions =
    "SELECT " BEACON_SQLITE_VERSION_COLUMNS
    " FROM app_versions"
    " WHERE (?1 IS NULL OR platform = ?1) AND (?2 IS NULL OR channel = ?2) AND (?3 IS NULL OR is_enabled = ?3)"
    " AND (?4 IS NULL OR version_code < ?4 OR (version_code = ?4 AND id < ?5))"
    " ORDER BY version_code DESC, id DESC LIMIT ?6";

// Names of the codes in ?2 (a JSON array) on platform ?1, per code "stable"
// first, then by channel name: the adapter keeps each code's first row.
inline constexpr std::string_view kSelectVersionNames =
    "SELECT version_code, version_name FROM app_versions"
    " WHERE platform = ?1 AND version_code IN (SELECT value FROM json_each(?2))"
    " ORDER BY version_code, channel <> 'stable', channel";

inline constexpr std::string_view kSelectEnabledVersions =
    "SELECT " BEACON_SQLITE_VERSION_COLUMNS " FROM app_versions WHERE is_enabled = 1";

#undef BEACON_SQLITE_VERSION_COLUMNS

// --- rollout_decisions --------------------------------------------------------

inline constexpr std::string_view kInsertRolloutDecision =
    "INSERT INTO rollout_decisions (version_id, at, action, from_percent, to_percent, decided_by, reason, health)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";

inline constexpr std::string_view kListRolloutDecisions =
    "SELECT at, action, from_percent, to_percent, decided_by, reason, health FROM rollout_decisions"
    " WHERE version_id = ?1 ORDER BY at DESC, id DESC LIMIT ?2";

// --- catalog_state ----------------------------------------------------------

inline constexpr std::string_view kSelectCatalogRevision = "SELECT revision FROM catalog_state WHERE id = 1";
// A deferred transaction on a read connection: one consistent snapshot for
// the revision and the versions.
inline constexpr std::string_view kBeginRead = "BEGIN";

// --- artifacts --------------------------------------------------------------

#define BEACON_SQLITE_ARTIFACT_COLUMNS \
    "key, file_name, file_size, sha256, content_type, package_name, detected, created_at, unreferenced_since"

// Idempotent by key. A new record is unreferenced from its creation unless
// some version uses the key already.
inline constexpr std::string_view kInsertArtifact =
    "INSERT INTO artifacts (" BEACON_SQLITE_ARTIFACT_COLUMNS
    ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
    " CASE WHEN EXISTS (SELECT 1 FROM app_versions WHERE artifact_key = ?1) THEN NULL ELSE ?8 END)"
    " ON CONFLICT (key) DO NOTHING";

inline constexpr std::string_view kSelectArtifact =
    "SELECT " BEACON_SQLITE_ARTIFACT_COLUMNS " FROM artifacts WHERE key = ?1";

inline constexpr std::string_view kCountVersionsUsing = "SELECT COUNT(*) FROM app_versions WHERE artifact_key = ?1";

// A version takes the artifact: no row changed means the key is unknown.
inline constexpr std::string_view kClaimArtifact = "UPDATE artifacts SET unreferenced_since = NULL WHERE key = ?1";

// A version let go of the artifact: unreferenced from ?2 if it was the last.
inline constexpr std::string_view kReleaseArtifact =
    "UPDATE artifacts SET unreferenced_since = ?2"
    " WHERE key = ?1 AND unreferenced_since IS NULL"
    " AND NOT EXISTS (SELECT 1 FROM app_versions WHERE artifact_key = ?1)";

inline constexpr std::string_view kListUnreferencedArtifacts =
    "SELECT " BEACON_SQLITE_ARTIFACT_COLUMNS
    " FROM artifacts WHERE unreferenced_since IS NOT NULL AND unreferenced_since <= ?1"
    " ORDER BY unreferenced_since, key LIMIT ?2";

// ?2 NULL: whenever it became unreferenced.
inline constexpr std::string_view kDeleteUnreferencedArtifact =
    "DELETE FROM artifacts WHERE key = ?1"
    " AND NOT EXISTS (SELECT 1 FROM app_versions WHERE artifact_key = ?1)"
    " AND (?2 IS NULL OR (unreferenced_since IS NOT NULL AND unreferenced_since <= ?2))";

#undef BEACON_SQLITE_ARTIFACT_COLUMNS

}  // namespace beacon::backends::sqlite::sql
