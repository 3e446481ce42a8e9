#pragma once

// The admin reports of API.md 1.1 "Versions in telemetry" that read the
// database: who is left behind (/admin/telemetry/versions/below), a
// version's adoption (/admin/versions/{id}/adoption) and the daily online
// peaks (/admin/telemetry/online/peaks). Each validates its parameters
// (InvalidArgument naming the field) and bounds the work before it asks the
// store: at most 90 days, 1,000 buckets, 366 days.

#include <cstdint>
#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "core/time_zone.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::telemetry {

// --- Left behind ------------------------------------------------------------

inline constexpr int kDefaultBelowDays = 7;
inline constexpr int kMaxBelowDays = 90;

struct LeftBehind {
    Platform platform = Platform::Unknown;
    VersionCode version_code = 0;
    int days = kDefaultBelowDays;
    LeftBehindCounts counts;
    double share = 0;  // below / actors, rounded to 6 decimals; 0 without actors
};

// The window is the last `days` days in `tz`, today included: from the start
// of the first of them, with no end (a session start stamped a little in
// the future, as the events rules allow, still counts). `days` outside
// 1..90 is InvalidArgument on `days`.
Result<LeftBehind> left_behind(
    EventStore& store, Platform platform, VersionCode code, std::optional<int> days, TimePoint now, const TimeZone& tz);

// --- Adoption ----------------------------------------------------------------

enum class AdoptionInterval { Hour, Day };

// "1h" or "1d"; nullopt for anything else.
std::optional<AdoptionInterval> parse_adoption_interval(std::string_view text);
std::string_view adoption_interval_name(AdoptionInterval interval);

inline constexpr std::int64_t kMaxAdoptionBuckets = 1000;

struct AdoptionQuery {
    std::optional<AdoptionInterval> interval;  // default 1h
    std::optional<TimePoint> from;             // default `to` - 7 days
    std::optional<TimePoint> to;               // default now
};

struct AdoptionPoint {
    TimePoint at;  // the bucket's aligned start
    std::int64_t installs = 0;
    double share = 0;  // installs / the platform's installs, 6 decimals
};

struct Adoption {
    AdoptionInterval interval = AdoptionInterval::Hour;
    std::vector<AdoptionPoint> points;  // buckets with session starts only
};

// The buckets are aligned to the hour in UTC (1h) or to the day in `tz`
// (1d) and cover [from, to): the first and last are cut to the range.
// `from` after `to`, or more than 1,000 buckets touched, is InvalidArgument
// on `from`.
Result<Adoption> adoption(
    EventStore& store, Platform platform, VersionCode code, const AdoptionQuery& q, TimePoint now, const TimeZone& tz);

// --- Online peaks -------------------------------------------------------------

struct DailyPeak {
    Day day;
    OnlinePeak peak;
};

// The highest per-minute snapshot of each day in [from, to] (the /dau rules:
// days in `tz`, `to` today and `from` 29 days before by default, at most 366
// days, InvalidArgument on `from`), days without snapshots left out.
Result<std::vector<DailyPeak>> online_peaks(
    SnapshotStore& store, std::optional<Day> from, std::optional<Day> to, TimePoint now, const TimeZone& tz);

// x rounded to 6 decimals (the shares of these reports).
double round6(double x);

}  // namespace beacon::telemetry
