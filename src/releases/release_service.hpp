#pragma once

// The releases domain service: the admin rules for app versions (API.md,
// "Admin releases" and "Details that settle edge cases") and the update check
// ("Client app updates"), over the VersionRepository and ArtifactStore ports.
//
// Offers are signed (offer_signature.hpp) with the OfferSigner of the
// options, once per link reuse window, the signature kept with the cached link.
//
// Update checks never touch the database. The service keeps an immutable
// snapshot of the enabled versions (an UpdateIndex tagged with the catalog
// revision it was built from) behind an atomic shared_ptr: a check is one
// atomic load plus the index lookup, and many threads check at once without
// a lock. The snapshot is rebuilt
//   - after every successful admin write made through this instance, and
//   - by refresh_if_stale(), which the owner calls on a timer (every 1-2 s):
//     it reads the repository's catalog_revision() and rebuilds when the
//     revision differs from the snapshot's, so writes made on other replicas
//     reach every instance within a few seconds.
// A rebuild that fails (database down) keeps the previous snapshot, whose
// revision then still differs, so the next refresh_if_stale() retries.
//
// Error codes, as the HTTP layer maps them: InvalidArgument (400, `fields`
// names each bad field in the contract's camelCase), NotFound (404), Conflict
// (409), PreconditionFailed (412, If-Match stale), Unprocessable (422, with
// the field), Unavailable (503), Internal (500).
//
// Thread-safe. The ports and the clock are borrowed and must outlive the service.

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "releases/artifact_store.hpp"
#include "releases/offer_signature.hpp"
#include "releases/release_version.hpp"
#include "releases/update_check.hpp"
#include "releases/version_repository.hpp"

namespace beacon::releases {

struct ReleaseServiceOptions {
    // How long a signed download link stays valid (BEACON_PRESIGN_TTL).
    std::chrono::seconds presign_ttl{std::chrono::hours(24)};
    // Beacon's external base URL (BEACON_PUBLIC_URL, no trailing '/'), for
    // storage adapters that serve downloads through Beacon itself.
    std::string public_base_url;
    // Signs the offers of update checks (borrowed, outlives the service).
    // Null: offers are unsigned (UpdateCheck::signature stays empty); only
    // tests leave it out, `beacon serve` always has a key.
    const OfferSigner* signer = nullptr;
    // Further keys published as verifying offers, after the signer's
    // (BEACON_SIGNING_PUBLIC_KEYS: the next key before a rotation, the
    // previous one after it). They sign nothing.
    std::vector<PublicSigningKey> published_keys;
    // A webhook URL is configured: rollout decisions enqueue their webhook.
    bool webhooks = false;
};

// Who a rollout decision is by when the admin token has no subject.
inline constexpr std::string_view kUnnamedAdmin = "admin";

// Limits of the contract.
inline constexpr std::size_t kMaxVersionNameChars = 64;
inline constexpr std::size_t kMaxChannelChars = 32;
inline constexpr std::size_t kMaxChangelogBytes = 16 * 1024;
inline constexpr std::size_t kMaxExternalUrlBytes = 2048;
inline constexpr int kDefaultListLimit = 50;
inline constexpr int kMaxListLimit = 500;
inline constexpr std::int64_t kMinForceAfterDays = 1;
inline constexpr std::int64_t kMaxForceAfterDays = 3650;

// POST /admin/versions, as parsed from JSON (the HTTP layer checks JSON
// types; the service checks values). Absent optionals take the defaults.
struct NewVersion {
    std::string platform;  // "android" / "ios", any case
    std::int64_t version_code = 0;
    std::string version_name;
    std::optional<std::string> channel;  // "stable"
    std::optional<std::string> changelog;
    std::optional<bool> is_force_update;  // false
    std::optional<bool> is_enabled;       // true
    std::optional<std::int64_t> min_supported_version_code;
    std::optional<std::int64_t> rollout_percent;   // 100
    std::optional<std::int64_t> force_after_days;  // none
    std::optional<std::string> artifact_key;
    std::optional<std::string> external_url;
    std::optional<TimePoint> released_at;  // now
    // A health-gated rollout plan (parsed by the caller, rollout_plan.hpp);
    // it sets rolloutPercent to its first step, whatever rollout_percent says.
    std::optional<RolloutPlan> rollout_plan;
    // Who asks (the admin token's subject): the `by` of a rollout decision.
    std::string actor;
};

// A field a PATCH may set to null: nullopt = absent (unchanged);
// a present nullopt = null.
template <typename T>
using Nullable = std::optional<std::optional<T>>;

// PATCH /admin/versions/{id}: absent fields keep their value.
struct VersionPatch {
    std::optional<std::string> platform;
    std::optional<std::int64_t> version_code;
    std::optional<std::string> version_name;
    std::optional<std::string> channel;
    Nullable<std::string> changelog;
    std::optional<bool> is_force_update;
    std::optional<bool> is_enabled;
    Nullable<std::int64_t> min_supported_version_code;
    std::optional<std::int64_t> rollout_percent;
    Nullable<std::int64_t> force_after_days;
    Nullable<std::string> artifact_key;  // null detaches the artifact
    Nullable<std::string> external_url;  // null removes the URL
    std::optional<TimePoint> released_at;
    // A new plan starts it (rolloutPercent to its first step, state running;
    // the plan stored already leaves it as it is); null removes the plan.
    Nullable<RolloutPlan> rollout_plan;
    std::string actor;  // as in NewVersion
};

// GET /admin/versions query parameters, as received.
struct VersionListQuery {
    std::optional<std::string> platform;
    std::optional<std::string> channel;
    std::optional<bool> is_enabled;
    std::optional<std::int64_t> limit;  // 1..kMaxListLimit, default kDefaultListLimit
    std::optional<std::string> cursor;  // a next_cursor from an earlier page
};

struct VersionListing {
    std::vector<ReleaseVersion> versions;  // highest version code first
    std::optional<std::string> next_cursor;
};

// Where a version downloads from.
struct DownloadLink {
    std::string url;
    // When the signed link stops working; nullopt for an external URL.
    std::optional<TimePoint> expires_at;
};

struct UpdateCheck {
    bool need_update = false;
    bool force_update = false;
    // The version to offer (null when !need_update); shares ownership of the
    // snapshot it came from, so it stays valid after later rebuilds.
    std::shared_ptr<const ReleaseVersion> latest;
    std::optional<DownloadLink> download;  // present with latest; its url is absolute
    // The signature of the offer (latest and download), present with latest
    // when the service has a signer.
    std::optional<OfferSignature> signature;
};

struct RemovedVersion {
    ReleaseVersion version;  // as it was before the delete
    // Its artifact had no other user and was removed (record and bytes).
    bool artifact_removed = false;
    // The storage refused to remove the bytes: the delete still stands, the
    // artifact record was put back so the cleanup job retries. Worth a log line.
    std::optional<Error> artifact_error;
};

struct ArtifactCleanup {
    std::int64_t removed = 0;
    // Per-artifact storage failures (left for the next run).
    std::vector<Error> errors;
};

class ReleaseService {
public:
    // Starts with an empty snapshot: call reload() (or refresh_if_stale())
    // before serving update checks.
    ReleaseService(VersionRepository& repository,
                   ArtifactStore& artifacts,
                   const Clock& clock,
                   ReleaseServiceOptions options = {});

    ReleaseService(const ReleaseService&) = delete;
    ReleaseService& operator=(const ReleaseService&) = delete;

    // --- Admin ---------------------------------------------------------------

    // Validates and stores a new version (revision 1). 400 for a bad value;
    // 422 when both artifactKey and externalUrl are given, artifactKey is
    // unknown or its detected platform or version code contradicts the body,
    // or minSupportedVersionCode > versionCode; 409 when (platform, channel,
    // versionCode) exists.
    Result<ReleaseVersion> create(const NewVersion& request);

    Result<ReleaseVersion> get(std::int64_t id);

    Result<VersionListing> list(const VersionListQuery& query);

    // The catalog's name of each of `codes` on `platform` (VersionRepository::version_names).
    Result<std::map<std::int64_t, std::string>> version_names(Platform platform, std::span<const std::int64_t> codes);

    // Applies `patch`; the create rules apply to the merged version; a
    // rolloutPercent on a version whose plan is running (and stays so) is
    // Conflict: the plan drives it. With
    // `if_match`, a stored revision other than it is PreconditionFailed and
    // nothing changes; without, concurrent writers are retried internally
    // (compare-and-set on the revision read), so no update is ever lost.
    Result<ReleaseVersion> patch(std::int64_t id, const VersionPatch& patch, std::optional<std::int64_t> if_match);

    // Flips is_enabled; same If-Match rule.
    Result<ReleaseVersion> toggle(std::int64_t id, std::optional<std::int64_t> if_match);

    // Deletes the version (same If-Match rule); then, when no other version
    // uses its artifact, removes the artifact's record and bytes.
    Result<RemovedVersion> remove(std::int64_t id, std::optional<std::int64_t> if_match);

    // A signed link to the version's artifact, else its external URL;
    // NotFound for an unknown id or a draft.
    Result<DownloadLink> download(std::int64_t id);

    // For the cleanup job: removes artifacts no version has used for at least
    // `grace` (record first, then bytes).
    Result<ArtifactCleanup> remove_unreferenced_artifacts(std::chrono::seconds grace = std::chrono::hours(24));

    // --- Update check (hot path) --------------------------------------------

    // GET /app/version/check, from the snapshot (no database query).
    // `platform` any case (400 `platform` otherwise); `current_code` >= 0
    // (400 `current_version_code`); `channel` defaults to "stable".
    // `link_base` ("http://host:port") is put before a host-relative
    // download link (file storage without BEACON_PUBLIC_URL), so the link
    // that is signed is the one the client gets.
    // Errors besides those: only a storage adapter that cannot sign (Internal).
    Result<UpdateCheck> check(std::string_view platform,
                              std::optional<std::string_view> channel,
                              std::int64_t current_code,
                              std::optional<std::string_view> install_id,
                              std::string_view link_base = {}) const;

    // The keys that verify offers (GET /app/version/signing-keys): the
    // signer's first (none without a signer), then the published ones, each
    // keyId once.
    std::vector<PublicSigningKey> signing_keys() const;

    // --- Snapshot ------------------------------------------------------------

    // Rebuilds the snapshot from the repository now.
    Result<void> reload();
    // Rebuilds when the repository's catalog revision differs from the
    // snapshot's; returns whether it rebuilt. Cheap when nothing changed (one
    // primary-key read). Call every 1-2 s.
    Result<bool> refresh_if_stale();
    // The catalog revision the current snapshot was built from; nullopt
    // before the first successful load.
    std::optional<std::int64_t> snapshot_revision() const;

private:
    struct Snapshot {
        // Built in place: UpdateIndex points into its own vector, so it must
        // never be copied.
        Snapshot(std::optional<std::int64_t> revision, std::vector<ReleaseVersion> versions);
        std::optional<std::int64_t> revision;
        UpdateIndex index;
    };

    Result<ReleaseVersion> write_with_retry(std::int64_t id,
                                            std::optional<std::int64_t> if_match,
                                            std::string_view what,
                                            const VersionPatch* patch);
    // The 422 rules on a complete version; fills in its artifact from the
    // record of `artifact_key`.
    Result<void> apply_artifact_and_rules(ReleaseVersion& v, const std::optional<std::string>& artifact_key);
    // How long a signed link (and offer) is reused: min(60 s, TTL / 100).
    std::chrono::seconds link_reuse() const;
    // The link of `v` for the window of `now` (signed at most once per window).
    Result<DownloadLink> link_for(const ReleaseVersion& v, TimePoint now) const;
    // The signature of the offer of `v` through `link` (absolute), signed at
    // most once per window and kept with the cached link; nullopt without a signer.
    std::optional<OfferSignature> sign_offer(const ReleaseVersion& v, const DownloadLink& link, TimePoint now) const;
    // Removes the record, then the bytes, of an artifact nobody uses; puts
    // the record back when the storage fails. False when it is in use.
    Result<bool> remove_artifact(const ArtifactRecord& record, std::optional<TimePoint> cutoff);
    // Loads the catalog and swaps the snapshot; the caller holds rebuild_mutex_.
    Result<void> rebuild_locked();
    void rebuild_after_write();

    VersionRepository& repository_;
    ArtifactStore& artifacts_;
    const Clock& clock_;
    const ReleaseServiceOptions options_;

    std::mutex rebuild_mutex_;  // one rebuild at a time, so snapshots never go back
    std::atomic<std::shared_ptr<const Snapshot>> snapshot_;

    // Signed artifact links, reused within one reuse window: min(60 s, TTL / 100)
    // (see link_for), and the offers signed through them in that window (an
    // external URL has an entry for its offers only).
    struct CachedOffer {
        std::string text;  // the signed text (offer_signature.hpp)
        OfferSignature signature;
    };
    struct CachedLink {
        TimePoint window;
        DownloadLink link;
        std::vector<CachedOffer> offers;
    };
    mutable std::mutex links_mutex_;
    // By artifact key + '\n' + file name, or '\n' + external URL.
    mutable std::unordered_map<std::string, CachedLink> links_;
};

// The opaque list cursor: encodes a VersionCursor as text and back
// (nullopt for text that no encode_version_cursor() produced).
std::string encode_version_cursor(const VersionCursor& cursor);
std::optional<VersionCursor> decode_version_cursor(std::string_view text);

}  // namespace beacon::releases
