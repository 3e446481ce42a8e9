#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/result.hpp"
#include "telemetry/model.hpp"

namespace beacon::telemetry {

// One actor seen on one day (from an app_session_start event).
struct DauMark {
    Day day;
    Platform platform = Platform::Unknown;
    std::string actor;                        // actor_key(...)
    std::optional<VersionCode> version_code;  // the session start's build
};

// One heartbeat's effect: `actor` is online until `expires_at`, at the
// platform and build of this heartbeat (Unknown and nullopt when it named
// none: the actor then leaves the group of its previous heartbeat).
struct HeartbeatMark {
    std::string actor;  // actor_key(...)
    TimePoint expires_at;
    Platform platform = Platform::Unknown;
    std::optional<VersionCode> version_code;
};

// Port: who is online now, and the realtime DAU estimate (HyperLogLog, P=14,
// about 0.8% standard error). Thread-safe. Errors: Unavailable when the
// backing service is down.
class PresenceStore {
public:
    virtual ~PresenceStore() = default;

    // The actor is online until `mark.expires_at`, at the mark's platform and
    // version code (a later call may extend or shorten it, or move it to
    // another version: the latest call wins).
    virtual Result<void> record_heartbeat(const HeartbeatMark& mark) = 0;
    // The same for a mark with no platform and no version code.
    Result<void> record_heartbeat(std::string_view actor, TimePoint expires_at) {
        return record_heartbeat(HeartbeatMark{std::string(actor), expires_at});
    }
    // Many heartbeats at once, applied in order (for one actor the last mark
    // wins); all or nothing where the store allows. The default records them
    // one by one; a store across the network sends them together.
    virtual Result<void> record_heartbeats(std::span<const HeartbeatMark> marks) {
        for (const auto& m : marks) {
            if (auto r = record_heartbeat(m); !r) {
                return r;
            }
        }
        return ok();
    }
    // Distinct actors whose expiry is after `now`.
    virtual Result<std::int64_t> count_online(TimePoint now) = 0;
    // The actors count_online(now) counts whose latest heartbeat named
    // `platform`, grouped by that heartbeat's version code: each actor in
    // exactly one group. Groups with a count of zero are left out; sorted by
    // sort_version_counts.
    virtual Result<std::vector<VersionCount>> count_online_by_version(Platform platform, TimePoint now) = 0;
    // Forgets actors whose expiry is at or before `now`; returns how many.
    virtual Result<std::int64_t> remove_expired(TimePoint now) = 0;

    // Adds each actor to its day's estimate, overall and for its platform.
    virtual Result<void> add_to_dau(std::span<const DauMark> marks) = 0;
    // The estimate for `day`; zeros (and no platforms) when nothing was added.
    virtual Result<DauEstimate> estimate_dau(Day day) = 0;
    // The estimate of `day`'s actors on `platform` per version code of their
    // marks (an actor marked under two codes counts under each); groups
    // nobody was added to are left out; sorted by sort_version_counts.
    virtual Result<std::vector<VersionCount>> estimate_dau_by_version(Day day, Platform platform) = 0;
    // Drops the estimates of days before `day`.
    virtual Result<void> drop_dau_before(Day day) = 0;
};

}  // namespace beacon::telemetry
