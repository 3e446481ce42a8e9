#pragma once

// Release health (API.md 1.1 "Release health"): crash-free sessions and
// users of one version over a window, against the previous version as the
// control, and the verdict a health-gated rollout acts on. Why the previous
// version is the control: docs/decisions/0012-release-health.md.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "telemetry/event_store.hpp"

namespace beacon::telemetry {

inline constexpr std::int64_t kDefaultHealthWindowS = 24 * 3600;
inline constexpr std::int64_t kMinHealthWindowS = 3600;
inline constexpr std::int64_t kMaxHealthWindowS = 30 * 86400;

// The rules of the verdict: a rollout plan's, or these defaults.
struct HealthThresholds {
    std::int64_t min_sessions = 100;
    double min_crash_free = 0.98;
    double max_crash_free_drop = 0.005;
};

enum class HealthVerdict { Healthy, Unhealthy, InsufficientData };
std::string_view health_verdict_name(HealthVerdict v);  // "healthy", "unhealthy", "insufficient-data"

// One side of the comparison, with its rates: exact fractions rounded to 6
// decimals, nullopt without sessions.
struct VersionHealth {
    VersionCode code = 0;
    SessionHealthCounts counts;
    std::optional<double> crash_free_sessions;
    std::optional<double> crash_free_users;
};

struct ReleaseHealth {
    TimeRange window;
    VersionHealth version;
    std::optional<VersionHealth> control;
    HealthVerdict verdict = HealthVerdict::InsufficientData;
    std::vector<std::string> reasons;  // why, in words, one per rule that decided
};

// The verdict over counts already taken (no I/O): insufficient-data when
// sessions < min_sessions; unhealthy when crash-free sessions < min_crash_free,
// or when a control with at least min_sessions sessions exists and the rate
// is more than max_crash_free_drop below the control's; else healthy. The
// comparisons are made on the rounded rates in millionths, so "exactly
// max_crash_free_drop below" is not more than it (no floating-point edge).
ReleaseHealth judge(TimeRange window,
                    VersionCode code,
                    const ReleaseHealthCounts& counts,
                    const HealthThresholds& thresholds);

// The report as GET /admin/versions/{id}/health answers it (and as a rollout
// decision records it): {"window": {"from", "to"}, "version", "control",
// "verdict", "reasons"}.
boost::json::object release_health_json(const ReleaseHealth& report);

// Counts `code`'s sessions on `platform` over the `window_s` seconds before
// `now` and judges them. `window_s` outside 1 h..30 d is InvalidArgument on
// `window`.
Result<ReleaseHealth> release_health(EventStore& store,
                                     Platform platform,
                                     VersionCode code,
                                     std::int64_t window_s,
                                     TimePoint now,
                                     const HealthThresholds& thresholds);

}  // namespace beacon::telemetry
