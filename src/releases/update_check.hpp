#pragma once

// The update-check rule (API.md, "Client app updates"), as pure functions over
// an in-memory catalog of versions. No I/O, no clock: the HTTP handler turns
// the decision into JSON and signs the download URL.
//
// Candidates for a client (platform P, channel C, current code N, optional
// installId I) are the versions that are
//   - enabled, of platform P and channel C, with version_code > N,
//   - not drafts (they have an artifact or an external URL), not halted by
//     their rollout plan (offered to no one, forced or not), and
//   - covered by their rollout: percent 100 covers everyone; p < 100 covers
//     an install when I is given and rollout_bucket(I, id) < p; a version with
//     is_force_update covers everyone whatever its percent.
// latest = the candidate with the highest version_code; need_update = there is
// a candidate; force_update = some candidate is_force_update, or some
// candidate is stale (it has force_after_days D and released_at + D x 24 h <=
// now), or N < latest.min_supported_version_code.
//
// Two forms: decide_update() scans a span (the reference definition, fine for
// small catalogs), UpdateIndex answers the same question from a snapshot
// sorted per (platform, channel) so a check costs O(versions above N that are
// not covered) and usually O(1). Both are thread-safe for concurrent readers.

#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "releases/release_version.hpp"

namespace beacon::releases {

struct UpdateDecision {
    bool need_update = false;
    bool force_update = false;
    // The version to offer; null exactly when !need_update. Points into the
    // catalog (or index) the decision came from, and lives as long as it does.
    const ReleaseVersion* latest = nullptr;
};

// Whether `v` has force_after_days D and released_at + D x 24 h <= now.
bool is_stale(const ReleaseVersion& v, TimePoint now);

// Whether `v` is offered to this client at all (every rule above but "highest").
bool is_candidate(const ReleaseVersion& v,
                  Platform platform,
                  std::string_view channel,
                  std::int64_t current_code,
                  std::optional<std::string_view> install_id);

UpdateDecision decide_update(std::span<const ReleaseVersion> catalog,
                             Platform platform,
                             std::string_view channel,
                             std::int64_t current_code,
                             std::optional<std::string_view> install_id,
                             TimePoint now);

// An immutable snapshot of the catalog, indexed for update checks. Build one
// per catalog revision and share it (e.g. through std::shared_ptr<const>).
class UpdateIndex {
public:
    explicit UpdateIndex(std::vector<ReleaseVersion> versions);

    UpdateDecision decide(Platform platform,
                          std::string_view channel,
                          std::int64_t current_code,
                          std::optional<std::string_view> install_id,
                          TimePoint now) const;

    const std::vector<ReleaseVersion>& versions() const { return versions_; }

private:
    struct Key {
        Platform platform;
        std::string channel;
    };
    struct KeyView {
        Platform platform;
        std::string_view channel;
    };
    struct KeyLess {
        using is_transparent = void;
        template <typename A, typename B>
        bool operator()(const A& a, const B& b) const {
            if (a.platform != b.platform) {
                return a.platform < b.platform;
            }
            return std::string_view(a.channel) < std::string_view(b.channel);
        }
    };
    struct Shelf {
        // Offerable versions (enabled, not drafts), highest version_code first.
        std::vector<const ReleaseVersion*> by_code_desc;
        // Highest version_code among them with is_force_update, if any: a
        // forced version always covers, so any client below it must update.
        std::optional<std::int64_t> max_forced_code;
        // The offerable versions with force_after_days, highest code first:
        // whether one of them above the client covers it and is stale
        // depends on the install and the time, so they are scanned (a few).
        std::vector<const ReleaseVersion*> aging_desc;
    };

    std::vector<ReleaseVersion> versions_;
    std::map<Key, Shelf, KeyLess> shelves_;
};

}  // namespace beacon::releases
