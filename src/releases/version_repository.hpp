#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "releases/package_inspector.hpp"
#include "releases/release_version.hpp"
#include "releases/rollout_plan.hpp"
#include "webhooks/delivery.hpp"

namespace beacon::releases {

// Which versions a listing returns; every present field must match.
struct VersionFilter {
    std::optional<Platform> platform;
    std::optional<std::string> channel;
    std::optional<bool> is_enabled;
};

// Keyset position in the listing order (version_code DESC, id DESC): a page
// that starts after a cursor holds the rows strictly after that pair. Rows
// written between two pages never make a later page repeat or skip a row that
// existed throughout.
struct VersionCursor {
    std::int64_t version_code = 0;
    std::int64_t id = 0;
};

struct VersionPage {
    std::vector<ReleaseVersion> versions;
    // Where the next page starts (the last row of this one), or nullopt when
    // no row matching the filter follows this page.
    std::optional<VersionCursor> next;
};

// A rollout transition, stored by the version write that makes it, in the
// same transaction: the decision joins the version's history, and its
// webhook (if any) the outbox, so a crash loses neither and neither exists
// without the other (API.md 1.1 "Webhooks": stored before the decision commits).
struct RolloutRecord {
    RolloutDecision decision;
    // Makes the webhook delivery from the stored version (its id is known
    // only after a create); called inside the transaction. Null, or
    // returning nullopt: no delivery. An error fails the whole write.
    std::function<Result<std::optional<webhooks::Delivery>>(const ReleaseVersion& stored)> webhook;
};

// The update-check catalog as of one catalog revision.
struct CatalogSnapshot {
    std::int64_t revision = 0;
    std::vector<ReleaseVersion> enabled_versions;  // is_enabled, any order
};

// An uploaded artifact as stored in `artifacts`.
struct ArtifactRecord {
    Artifact artifact;
    // What the archive says about itself (platform, package, version code...);
    // nullopt for a ZIP that is neither an APK nor an IPA.
    std::optional<DetectedPackage> detected;
    TimePoint created_at;
    // Since when no version refers to the artifact; nullopt while one does.
    // Maintained by the repository (see below); ignored on input.
    std::optional<TimePoint> unreferenced_since;
};

struct PutArtifactResult {
    ArtifactRecord record;  // the stored record (the existing one when !created)
    bool created = false;
};

// Port: the release catalog (app_versions) and the artifact records
// (artifacts) in the database.
//
// Versions:
//   - ids are assigned by the repository and never reused;
//   - `revision` starts at 1 and every successful update() adds 1;
//   - (platform, channel, version_code) is unique;
//   - times are taken from the caller's values (the service owns the Clock);
//     the repository never reads a clock of its own;
//   - an empty changelog is equivalent to none: get() may return nullopt for
//     a version stored with "" (the service never stores "").
//   - a version's artifact must name an artifact record that exists (create
//     and update check it in their transaction: Unprocessable otherwise), so a
//     version can never point at bytes the cleanup has removed.
//
// Artifact references: the repository keeps `unreferenced_since` true in the
// same transaction as every write: null while some version uses the key,
// else the time the last user let go of it (the version's updated_at on
// update, `now` on remove), or created_at for an artifact no version has used.
//
// Catalog revision: a number that changes with every committed version write
// (create, update, remove), read cheaply so every replica can poll it and
// rebuild its update-check snapshot when it moves. Compare for inequality
// only. Artifact writes do not change it.
//
// Errors: NotFound for an unknown id or key; Conflict when a write would
// duplicate (platform, channel, version_code); PreconditionFailed when
// `expected_revision` is stale; Unprocessable for an unknown artifact key on
// a version write; Unavailable when the database does not answer (safe to
// retry); Internal for anything that means a bug. A failed write changes
// nothing.
//
// Thread-safe; calls may come from many threads at once.
class VersionRepository {
public:
    virtual ~VersionRepository() = default;

    // Stores a new version: every field of `version` but `id` (assigned) and
    // `revision` (1). Returns the stored version.
    virtual Result<ReleaseVersion> create(const ReleaseVersion& version) = 0;

    virtual Result<ReleaseVersion> get(std::int64_t id) = 0;

    // Versions matching `filter`, highest version_code first (id descending
    // among equal codes), at most `limit` (>= 1, checked by the caller),
    // starting after `after` when given.
    virtual Result<VersionPage> list(const VersionFilter& filter,
                                     int limit,
                                     const std::optional<VersionCursor>& after) = 0;

    // Replaces every field of version `version.id` but id, created_at and
    // revision, if and only if its stored revision is `expected_revision`
    // (an atomic compare-and-set), and sets revision to expected + 1.
    // NotFound when the id is unknown; PreconditionFailed (nothing written)
    // when the stored revision differs. Returns the stored version.
    virtual Result<ReleaseVersion> update(const ReleaseVersion& version, std::int64_t expected_revision) = 0;

    // create() and update() that also store `record` (see RolloutRecord) in
    // the same transaction; a failure stores none of the three.
    virtual Result<ReleaseVersion> create_with_rollout(const ReleaseVersion& version, const RolloutRecord& record) = 0;
    virtual Result<ReleaseVersion> update_with_rollout(const ReleaseVersion& version,
                                                       std::int64_t expected_revision,
                                                       const RolloutRecord& record) = 0;

    // The rollout decisions of version `id`, newest first (by `at`, then by
    // the order they were stored), at most `limit` (>= 1). Empty for an
    // unknown id or a version without decisions.
    virtual Result<std::vector<RolloutDecision>> list_rollout_decisions(std::int64_t id, int limit) = 0;

    // Deletes version `id` and its rollout decisions, when given only if its revision is
    // `expected_revision` (PreconditionFailed otherwise). `now` stamps the
    // artifact's unreferenced_since when this was its last user. Returns the
    // version as it was.
    virtual Result<ReleaseVersion> remove(std::int64_t id,
                                          std::optional<std::int64_t> expected_revision,
                                          TimePoint now) = 0;

    // The name of each of `codes` on `platform`: of its version on channel
    // "stable", else on the first channel by name; codes without a version
    // are left out. At most a few thousand codes.
    virtual Result<std::map<std::int64_t, std::string>> version_names(Platform platform,
                                                                      std::span<const std::int64_t> codes) = 0;

    // The current catalog revision (see above).
    virtual Result<std::int64_t> catalog_revision() = 0;

    // Every enabled version and the catalog revision they belong to, read
    // consistently (one snapshot of the database).
    virtual Result<CatalogSnapshot> load_catalog() = 0;

    // Records an uploaded artifact. Idempotent by key: when `record.artifact.key`
    // is stored already, nothing changes and the stored record comes back
    // with created = false.
    virtual Result<PutArtifactResult> put_artifact(const ArtifactRecord& record) = 0;

    virtual Result<ArtifactRecord> get_artifact(std::string_view key) = 0;

    // How many versions refer to `key` (0 for an unknown key).
    virtual Result<std::int64_t> count_versions_using(std::string_view key) = 0;

    // Artifacts whose unreferenced_since is at or before `cutoff`, oldest
    // first, at most `limit`: what the cleanup job may remove.
    virtual Result<std::vector<ArtifactRecord>> list_unreferenced_artifacts(TimePoint cutoff, int limit) = 0;

    // Deletes the record of `key` if no version refers to it and, when
    // `cutoff` is given, its unreferenced_since is at or before `cutoff`;
    // returns whether it was deleted. Callers delete the record first and the
    // bytes second, so a version can never be created for bytes on their way
    // out (an orphaned object is harmless: re-uploading it restores the record).
    virtual Result<bool> remove_unreferenced_artifact(std::string_view key, std::optional<TimePoint> cutoff) = 0;
};

// The errors of the contract above, worded alike by every adapter (and by
// ReleaseService's own If-Match check): an unknown version id, a stale
// expected revision, a duplicate (platform, channel, version_code), an
// unknown artifact key asked for (NotFound) or named by a version write
// (Unprocessable).
inline Error version_not_found(std::int64_t id) {
    return make_error(ErrorCode::NotFound, "version " + std::to_string(id) + " not found");
}

inline Error stale_revision(std::int64_t id, std::int64_t stored, std::int64_t expected) {
    return make_error(ErrorCode::PreconditionFailed,
                      "version " + std::to_string(id) + " is at revision " + std::to_string(stored) + ", not " +
                          std::to_string(expected));
}

inline Error duplicate_version(const ReleaseVersion& v) {
    return make_error(ErrorCode::Conflict,
                      "a version " + std::to_string(v.version_code) + " of " + std::string(to_string(v.platform)) +
                          " on channel " + v.channel + " exists already");
}

inline Error artifact_not_found(std::string_view key) {
    return make_error(ErrorCode::NotFound, "artifact " + std::string(key) + " not found");
}

inline Error unknown_artifact(std::string_view key) {
    return make_error(ErrorCode::Unprocessable, "unknown artifact " + std::string(key));
}

}  // namespace beacon::releases
