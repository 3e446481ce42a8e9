#pragma once

// The online.drop alert (API.md 1.1 "Webhooks": online fell by more than
// half within 10 minutes from at least 100), decided from the per-minute
// online snapshots that the online-snapshot job stores.
//
// The condition at a snapshot S: among the snapshots of the 10 minutes up to
// S (ts >= S.ts - 10 min, S included), the highest count M is at least 100
// and S's count is below half of it (2 * S.online < M).
//
// Edge-triggered: the alert fires at the snapshot where the condition starts
// to hold, that is when it holds at the newest snapshot and did not hold at
// the one before. While online stays down the condition keeps holding and
// nothing more is sent. It re-arms as soon as one snapshot no longer meets it:
// online is back at half of the 10-minute maximum or more, or the maximum
// has left the 10-minute window (then the lower level is the new normal; a
// later fall from it alerts again if it meets the rule).
//
// The rule reads only stored snapshots, so it gives the same answer on
// whichever replica runs the job (the job runs once cluster-wide per tick).

#include <cstdint>
#include <optional>
#include <span>

#include "core/clock.hpp"
#include "telemetry/model.hpp"

namespace beacon::jobs {

inline constexpr Millis kOnlineDropWindow{10 * 60 * 1000};
inline constexpr std::int64_t kOnlineDropMinimum = 100;

struct OnlineDrop {
    std::int64_t from = 0;  // the 10-minute maximum
    std::int64_t to = 0;    // the newest snapshot's count
    TimePoint since;        // when the maximum was first reached in the window
    TimePoint until;        // the newest snapshot's time
};

// `snapshots` in store order (by ts, then insertion; SnapshotStore::
// snapshots_between), the newest last, reaching back at least twice the
// window before it. The drop to alert on at the newest snapshot, if any.
std::optional<OnlineDrop> detect_online_drop(std::span<const telemetry::OnlineSnapshot> snapshots);

}  // namespace beacon::jobs
