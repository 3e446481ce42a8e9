#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.hpp"

namespace beacon::telemetry {

// Client platforms. `Unknown` is never sent by a client: it is what figures
// use for events and actors that named no platform.
enum class Platform : std::uint8_t { Android, Ios, Web, Desktop, Other, Unknown };

// Case-insensitive; nullopt for anything but android, ios, web, desktop, other.
std::optional<Platform> parse_platform(std::string_view text);
std::string_view to_string(Platform p);

// An app's build number (Android versionCode, iOS CFBundleVersion) as
// telemetry carries it: 0 to 2147483647.
using VersionCode = std::int32_t;
inline constexpr std::int64_t kMaxVersionCode = 2147483647;

// Actors counted per build: `version_code` nullopt is the group of actors
// that named none.
struct VersionCount {
    std::optional<VersionCode> version_code;
    std::int64_t count = 0;
};
// Highest code first, the group without a code last: the order of every
// per-version listing.
void sort_version_counts(std::vector<VersionCount>& counts);

// The identity online counts and DAU deduplicate on: the userId when present,
// else the installId. Prefixes keep the two spaces apart ("u:" / "i:"), so a
// userId can never collide with an installId.
std::string actor_key(std::string_view install_id, const std::optional<std::string>& user_id);

// Characters (Unicode code points) in UTF-8 text that the JSON parser has
// validated. The contract's "N characters" limits count these, not bytes.
std::size_t utf8_length(std::string_view s);

// Validation of identifiers, shared by every endpoint.
bool is_valid_install_id(std::string_view s);  // 8..128 of [A-Za-z0-9._:-]
// 1..max_chars characters with no control characters (C0, DEL, C1): the
// rule of userId and of the short texts (appVersion, osVersion, ...).
bool is_valid_text(std::string_view s, std::size_t max_chars);
bool is_valid_user_id(std::string_view s);     // is_valid_text(s, 128)
bool is_valid_event_name(std::string_view s);  // 1..64 of [A-Za-z0-9_.:-]
// Two ASCII letters; returns the upper-cased form.
std::optional<std::string> normalize_region(std::string_view s);

// The event that starts a session: DAU, versions and adoption count these.
inline constexpr std::string_view kSessionStart = "app_session_start";

// One stored telemetry event (a row of telemetry_events).
struct Event {
    std::int64_t id = 0;  // assigned by the store; increasing
    std::optional<std::string> event_id;
    std::string install_id;
    std::optional<std::string> user_id;
    std::string event_name;
    TimePoint event_time;
    TimePoint received_at;
    std::optional<Platform> platform;
    std::optional<std::string> app_version;
    std::optional<std::string> os_version;
    std::optional<std::string> device_model;
    std::optional<std::string> region;
    std::optional<std::string> session_id;
    std::optional<VersionCode> version_code;
    std::string properties_json;  // serialized JSON object; empty when absent
};

// A half-open span of time [from, to): one bucket or one day of a listing.
struct TimeRange {
    TimePoint from;
    TimePoint to;
};

// Distinct-actor counts for one day. Keys of the maps are platform names
// (plus "unknown") and region codes (plus "unknown").
struct DailyCounts {
    std::int64_t total = 0;
    std::map<std::string, std::int64_t> by_platform;
    std::map<std::string, std::int64_t> by_region;
};

// A row of daily_active_stats.
struct DailyStats {
    Day day;
    DailyCounts counts;
    bool exact = false;
    TimePoint computed_at;
};

// A row of online_snapshots.
struct OnlineSnapshot {
    TimePoint ts;
    std::int64_t online = 0;
    std::int64_t window_seconds = 0;
};

// The highest snapshot of a span of time.
struct OnlinePeak {
    std::int64_t online = 0;
    TimePoint at;  // the first snapshot with that count
};

// One aggregated bucket of snapshots.
struct SnapshotBucket {
    TimePoint at;  // bucket start, aligned to the interval in UTC
    double avg = 0;
    std::int64_t min = 0;
    std::int64_t max = 0;
    std::int64_t samples = 0;
};

// The realtime DAU estimate of one day.
struct DauEstimate {
    std::int64_t total = 0;
    std::map<std::string, std::int64_t> by_platform;
};

}  // namespace beacon::telemetry
