#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/value.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "telemetry/presence_store.hpp"
#include "telemetry/settings.hpp"

namespace beacon::telemetry {

// A validated heartbeat body.
struct Heartbeat {
    std::string install_id;
    std::optional<std::string> user_id;
    std::optional<Platform> platform;
    std::optional<std::string> app_version;
    std::optional<std::string> region;
};

// Validates a heartbeat body ({"installId", "userId"?, "platform"?,
// "appVersion"?, "region"?}); `token_user` overrides userId. InvalidArgument
// names the field.
Result<Heartbeat> parse_heartbeat(const boost::json::value& body, const std::optional<std::string>& token_user);

struct OnlineCount {
    std::int64_t online = 0;
    std::int64_t window_seconds = 0;
    TimePoint at;
};

struct Realtime {
    OnlineCount online;
    Day day;
    DauEstimate dau;
};

// Heartbeats, the online count and the realtime view. Thread-safe.
class PresenceService {
public:
    PresenceService(PresenceStore& store, const Clock& clock, const TelemetrySettings& settings);

    // Marks the actor online until now + window; returns the server time used.
    Result<TimePoint> heartbeat(const Heartbeat& hb);
    // What heartbeat() records at `now`, for callers that record it
    // themselves (through a HeartbeatBatcher).
    HeartbeatMark mark(const Heartbeat& hb, TimePoint now) const;
    TimePoint now() const { return clock_.now(); }
    // Distinct actors online now; cached for at most 1 s.
    Result<OnlineCount> online();
    // Online count plus today's DAU estimate (today in the reporting zone).
    Result<Realtime> realtime();

    std::int64_t heartbeat_interval_s() const { return settings_.heartbeat_interval_s; }
    std::int64_t window_s() const { return settings_.online_window_s; }

private:
    PresenceStore& store_;
    const Clock& clock_;
    TelemetrySettings settings_;
    // The 1 s cache of online(): the time it was computed and its value.
    std::atomic<std::int64_t> cached_at_ms_{-1};  // -1: nothing cached yet
    std::atomic<std::int64_t> cached_online_{0};
};

}  // namespace beacon::telemetry
