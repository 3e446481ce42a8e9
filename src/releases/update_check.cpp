#include "releases/update_check.hpp"

#include <algorithm>
#include <chrono>
#include <tuple>

#include "releases/rollout.hpp"

namespace beacon::releases {
namespace {

bool is_offerable(const ReleaseVersion& v) {
    return v.is_enabled && !v.is_draft() && !v.is_halted();
}

bool covers(const ReleaseVersion& v, std::optional<std::string_view> install_id) {
    if (v.is_force_update || v.rollout_percent >= 100) {
        return true;
    }
    if (!install_id) {
        return false;
    }
    return rollout_covers(v.rollout_percent, *install_id, v.id);
}

bool below_min_supported(const ReleaseVersion& latest, std::int64_t current_code) {
    return latest.min_supported_version_code && current_code < *latest.min_supported_version_code;
}

// Strict order of offer: higher code first; id breaks ties (the database's
// unique key makes them impossible, but a snapshot must not depend on that).
bool offered_before(const ReleaseVersion& a, const ReleaseVersion& b) {
    return std::tie(a.version_code, a.id) > std::tie(b.version_code, b.id);
}

}  // namespace

bool is_stale(const ReleaseVersion& v, TimePoint now) {
    return v.force_after_days && v.released_at + std::chrono::hours(24) * *v.force_after_days <= now;
}

bool is_candidate(const ReleaseVersion& v,
                  Platform platform,
                  std::string_view channel,
                  std::int64_t current_code,
                  std::optional<std::string_view> install_id) {
    return v.platform == platform && v.channel == channel && v.version_code > current_code && is_offerable(v) &&
           covers(v, install_id);
}

UpdateDecision decide_update(std::span<const ReleaseVersion> catalog,
                             Platform platform,
                             std::string_view channel,
                             std::int64_t current_code,
                             std::optional<std::string_view> install_id,
                             TimePoint now) {
    UpdateDecision d;
    bool any_forced = false;
    for (const ReleaseVersion& v : catalog) {
        if (!is_candidate(v, platform, channel, current_code, install_id)) {
            continue;
        }
        any_forced = any_forced || v.is_force_update || is_stale(v, now);
        if (d.latest == nullptr || offered_before(v, *d.latest)) {
            d.latest = &v;
        }
    }
    if (d.latest != nullptr) {
        d.need_update = true;
        d.force_update = any_forced || below_min_supported(*d.latest, current_code);
    }
    return d;
}

UpdateIndex::UpdateIndex(std::vector<ReleaseVersion> versions) : versions_(std::move(versions)) {
    // versions_ is never resized after this point, so the pointers stay valid.
    for (const ReleaseVersion& v : versions_) {
        if (!is_offerable(v)) {
            continue;
        }
        Shelf& shelf = shelves_[Key{v.platform, v.channel}];
        shelf.by_code_desc.push_back(&v);
        if (v.is_force_update && (!shelf.max_forced_code || v.version_code > *shelf.max_forced_code)) {
            shelf.max_forced_code = v.version_code;
        }
        if (v.force_after_days) {
            shelf.aging_desc.push_back(&v);
        }
    }
    for (auto& [key, shelf] : shelves_) {
        auto order = [](const auto* a, const auto* b) { return offered_before(*a, *b); };
        std::sort(shelf.by_code_desc.begin(), shelf.by_code_desc.end(), order);
        std::sort(shelf.aging_desc.begin(), shelf.aging_desc.end(), order);
    }
}

UpdateDecision UpdateIndex::decide(Platform platform,
                                   std::string_view channel,
                                   std::int64_t current_code,
                                   std::optional<std::string_view> install_id,
                                   TimePoint now) const {
    UpdateDecision d;
    const auto it = shelves_.find(KeyView{platform, channel});
    if (it == shelves_.end()) {
        return d;
    }
    const Shelf& shelf = it->second;
    // The first covered version above current_code, scanning down from the top.
    for (const ReleaseVersion* v : shelf.by_code_desc) {
        if (v->version_code <= current_code) {
            break;
        }
        if (covers(*v, install_id)) {
            d.latest = v;
            break;
        }
    }
    if (d.latest == nullptr) {
        return d;
    }
    d.need_update = true;
    // Forced versions always cover, so "some candidate is forced" is "some
    // offerable forced version is above current_code".
    bool forced = shelf.max_forced_code && *shelf.max_forced_code > current_code;
    // A stale version forces only where it is a candidate: above the client
    // and covering it (its rollout may leave this install out).
    for (auto it = shelf.aging_desc.begin(); !forced && it != shelf.aging_desc.end(); ++it) {
        const ReleaseVersion& v = **it;
        if (v.version_code <= current_code) {
            break;
        }
        forced = is_stale(v, now) && covers(v, install_id);
    }
    d.force_update = forced || below_min_supported(*d.latest, current_code);
    return d;
}

}  // namespace beacon::releases
