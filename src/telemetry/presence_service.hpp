#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/json/value.hpp>

#include "core/clock.hpp"
#include "core/flat_json.hpp"
#include "core/result.hpp"
#include "telemetry/heartbeat_batcher.hpp"
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
    std::optional<VersionCode> version_code;
};

// Validates a heartbeat body ({"installId", "userId"?, "platform"?,
// "appVersion"?, "region"?, "versionCode"?}); `token_user` overrides userId.
// InvalidArgument names the field.
Result<Heartbeat> parse_heartbeat(const boost::json::value& body, const std::optional<std::string>& token_user);
// The same rules on a body the flat fast path read (core/flat_json.hpp).
Result<Heartbeat> parse_heartbeat(const FlatObject& body, const std::optional<std::string>& token_user);

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

struct VersionAudience {
    TimePoint at;
    Day day;                      // today in the reporting zone
    std::int64_t online = 0;      // the platform's actors online now
    std::int64_t dau_approx = 0;  // the platform's estimate of today
    std::vector<VersionCount> online_by_version;
    std::vector<VersionCount> dau_by_version;
};

// How heartbeats reach the presence store: chosen once, by whoever picks
// the store (app/backends), never by callers of the service.
enum class HeartbeatRecording {
    Inline,   // the store is in process: record on the caller's thread, at once
    Batched,  // the store is across the network: a HeartbeatBatcher sends one
              // write per burst from its own thread, and no caller waits on it
};

// Heartbeats, the online count and the realtime view. Thread-safe.
class PresenceService {
public:
    PresenceService(PresenceStore& store,
                    const Clock& clock,
                    const TelemetrySettings& settings,
                    HeartbeatRecording recording = HeartbeatRecording::Inline);
    ~PresenceService();

    // Called exactly once with the server time the heartbeat was recorded at,
    // or the error.
    using HeartbeatDone = std::function<void(Result<TimePoint>)>;

    // Marks the actor online until now + window. With Inline recording `done`
    // runs before record() returns, on the caller's thread; with Batched, on
    // the batcher's writer thread once the burst's one write returned (it
    // must not block).
    void record(const Heartbeat& hb, HeartbeatDone done);
    // record(), waiting for `done`: for callers that may block (jobs, tests),
    // never for an I/O thread with Batched recording.
    Result<TimePoint> heartbeat(const Heartbeat& hb);
    // Writes what the batcher holds and stops it; later heartbeats fail with
    // Unavailable. Idempotent; nothing to do with Inline recording.
    void stop();
    // Distinct actors online now; cached for at most 1 s.
    Result<OnlineCount> online();
    // Online count plus today's DAU estimate (today in the reporting zone).
    Result<Realtime> realtime();
    // GET /admin/telemetry/versions without the names: the platform's online
    // actors and today's estimate, in total and per version code.
    Result<VersionAudience> versions(Platform platform);

    std::int64_t heartbeat_interval_s() const { return settings_.heartbeat_interval_s; }
    std::int64_t window_s() const { return settings_.online_window_s; }

private:
    HeartbeatMark mark(const Heartbeat& hb, TimePoint now) const;

    PresenceStore& store_;
    const Clock& clock_;
    TelemetrySettings settings_;
    std::unique_ptr<HeartbeatBatcher> batcher_;  // Batched recording only
    // The 1 s cache of online(): the time it was computed and its value.
    std::atomic<std::int64_t> cached_at_ms_{-1};  // -1: nothing cached yet
    std::atomic<std::int64_t> cached_online_{0};
};

}  // namespace beacon::telemetry
