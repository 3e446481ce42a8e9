#include "jobs/online_drop.hpp"

namespace beacon::jobs {
namespace {

// The condition at snapshots[i] (see the header), with the drop it describes.
std::optional<OnlineDrop> condition_at(std::span<const telemetry::OnlineSnapshot> snapshots, std::size_t i) {
    const telemetry::OnlineSnapshot& s = snapshots[i];
    std::optional<OnlineDrop> best;
    for (std::size_t j = 0; j <= i; ++j) {
        const telemetry::OnlineSnapshot& p = snapshots[j];
        if (p.ts < s.ts - kOnlineDropWindow) {
            continue;
        }
        if (!best || p.online > best->from) {  // the earliest that reached the maximum
            best = OnlineDrop{p.online, s.online, p.ts, s.ts};
        }
    }
    if (!best || best->from < kOnlineDropMinimum || 2 * s.online >= best->from) {
        return std::nullopt;
    }
    return best;
}

}  // namespace

std::optional<OnlineDrop> detect_online_drop(std::span<const telemetry::OnlineSnapshot> snapshots) {
    if (snapshots.empty()) {
        return std::nullopt;
    }
    const std::size_t newest = snapshots.size() - 1;
    auto now = condition_at(snapshots, newest);
    if (!now) {
        return std::nullopt;
    }
    if (newest > 0 && condition_at(snapshots, newest - 1)) {
        return std::nullopt;  // already down at the snapshot before: alerted then
    }
    return now;
}

}  // namespace beacon::jobs
