#include "telemetry/release_health.hpp"

#include <chrono>
#include <cmath>

#include <boost/json/array.hpp>

#include "core/time_format.hpp"

namespace beacon::telemetry {
namespace {

constexpr std::int64_t kMicros = 1'000'000;

// (whole - part) / whole in millionths, rounded half up; nullopt for whole 0.
std::optional<std::int64_t> free_micros(std::int64_t part, std::int64_t whole) {
    if (whole <= 0) {
        return std::nullopt;
    }
    // Exact in 64 bits for any count below 4.6 * 10^12 sessions (2 * 10^6 *
    // whole must fit), far beyond what one window of an event log holds.
    return ((whole - part) * kMicros * 2 + whole) / (whole * 2);
}

std::int64_t to_micros(double x) {
    return std::llround(x * static_cast<double>(kMicros));
}

std::string rate_text(std::int64_t micros) {
    // 6 decimals without trailing zeros: 0.995, 1, 0.99375.
    std::string s = std::to_string(micros / kMicros);
    std::int64_t frac = micros % kMicros;
    if (frac != 0) {
        std::string digits = std::to_string(frac);
        digits.insert(0, 6 - digits.size(), '0');
        while (!digits.empty() && digits.back() == '0') {
            digits.pop_back();
        }
        s += "." + digits;
    }
    return s;
}

VersionHealth side(VersionCode code, const SessionHealthCounts& c) {
    VersionHealth h{code, c, std::nullopt, std::nullopt};
    if (auto m = free_micros(c.crashed_sessions, c.sessions)) {
        h.crash_free_sessions = static_cast<double>(*m) / kMicros;
    }
    if (auto m = free_micros(c.crashed_users, c.users)) {
        h.crash_free_users = static_cast<double>(*m) / kMicros;
    }
    return h;
}

}  // namespace

std::string_view health_verdict_name(HealthVerdict v) {
    switch (v) {
        case HealthVerdict::Healthy:
            return "healthy";
        case HealthVerdict::Unhealthy:
            return "unhealthy";
        case HealthVerdict::InsufficientData:
            break;
    }
    return "insufficient-data";
}

ReleaseHealth judge(TimeRange window,
                    VersionCode code,
                    const ReleaseHealthCounts& counts,
                    const HealthThresholds& thresholds) {
    ReleaseHealth out;
    out.window = window;
    out.version = side(code, counts.version);
    if (counts.control) {
        out.control = side(counts.control->code, counts.control->counts);
    }
    const SessionHealthCounts& v = counts.version;
    if (v.sessions < thresholds.min_sessions) {
        out.verdict = HealthVerdict::InsufficientData;
        out.reasons.push_back("sessions " + std::to_string(v.sessions) + " < minSessions " +
                              std::to_string(thresholds.min_sessions));
        return out;
    }
    const std::int64_t rate = *free_micros(v.crashed_sessions, v.sessions);
    const std::int64_t min_rate = to_micros(thresholds.min_crash_free);
    const std::int64_t max_drop = to_micros(thresholds.max_crash_free_drop);
    out.verdict = HealthVerdict::Healthy;
    if (rate < min_rate) {
        out.verdict = HealthVerdict::Unhealthy;
        out.reasons.push_back("crashFreeSessions " + rate_text(rate) + " < minCrashFree " + rate_text(min_rate));
    } else {
        out.reasons.push_back("crashFreeSessions " + rate_text(rate) + " >= minCrashFree " + rate_text(min_rate));
    }
    if (!counts.control) {
        out.reasons.push_back("no control: no lower version has sessions in the window");
        return out;
    }
    const SessionHealthCounts& c = counts.control->counts;
    const std::string control_name = "control " + std::to_string(counts.control->code);
    if (c.sessions < thresholds.min_sessions) {
        out.reasons.push_back(control_name + " has " + std::to_string(c.sessions) + " sessions < minSessions " +
                              std::to_string(thresholds.min_sessions) + ": not compared");
        return out;
    }
    const std::int64_t control_rate = *free_micros(c.crashed_sessions, c.sessions);
    const std::int64_t drop = control_rate - rate;
    if (drop > max_drop) {
        out.verdict = HealthVerdict::Unhealthy;
        out.reasons.push_back("crashFreeSessions " + rate_text(drop) + " below " + control_name + "'s " +
                              rate_text(control_rate) + " > maxCrashFreeDrop " + rate_text(max_drop));
    } else {
        out.reasons.push_back("crashFreeSessions within maxCrashFreeDrop " + rate_text(max_drop) + " of " +
                              control_name + "'s " + rate_text(control_rate));
    }
    return out;
}

Result<ReleaseHealth> release_health(EventStore& store,
                                     Platform platform,
                                     VersionCode code,
                                     std::int64_t window_s,
                                     TimePoint now,
                                     const HealthThresholds& thresholds) {
    if (window_s < kMinHealthWindowS || window_s > kMaxHealthWindowS) {
        return invalid_field("window", "must be a duration from 1h to 30d, such as 24h");
    }
    const TimeRange window{now - std::chrono::seconds(window_s), now};
    auto counts = store.count_release_health(platform, code, window);
    if (!counts) {
        return std::move(counts).error();
    }
    return judge(window, code, *counts, thresholds);
}

namespace {

boost::json::object side_json(const VersionHealth& h) {
    namespace json = boost::json;
    auto rate = [](const std::optional<double>& r) { return r ? json::value(*r) : json::value(nullptr); };
    return json::object{{"versionCode", h.code},
                        {"sessions", h.counts.sessions},
                        {"crashedSessions", h.counts.crashed_sessions},
                        {"crashFreeSessions", rate(h.crash_free_sessions)},
                        {"users", h.counts.users},
                        {"crashedUsers", h.counts.crashed_users},
                        {"crashFreeUsers", rate(h.crash_free_users)}};
}

}  // namespace

boost::json::object release_health_json(const ReleaseHealth& report) {
    namespace json = boost::json;
    json::array reasons;
    for (const std::string& r : report.reasons) {
        reasons.push_back(json::string(r));
    }
    return json::object{
        {"window",
         json::object{{"from", format_iso8601(report.window.from)}, {"to", format_iso8601(report.window.to)}}},
        {"version", side_json(report.version)},
        {"control", report.control ? json::value(side_json(*report.control)) : json::value(nullptr)},
        {"verdict", health_verdict_name(report.verdict)},
        {"reasons", std::move(reasons)}};
}

}  // namespace beacon::telemetry
