#include "telemetry/version_reports.hpp"

#include <cmath>
#include <string>

#include "telemetry/day_range.hpp"

namespace beacon::telemetry {

double round6(double x) {
    return std::round(x * 1e6) / 1e6;
}

namespace {

double share_of(std::int64_t part, std::int64_t whole) {
    return whole > 0 ? round6(static_cast<double>(part) / static_cast<double>(whole)) : 0.0;
}

}  // namespace

// --- Left behind ------------------------------------------------------------

Result<LeftBehind> left_behind(EventStore& store,
                               Platform platform,
                               VersionCode code,
                               std::optional<int> days,
                               TimePoint now,
                               const TimeZone& tz) {
    LeftBehind out;
    out.platform = platform;
    out.version_code = code;
    out.days = days.value_or(kDefaultBelowDays);
    if (out.days < 1 || out.days > kMaxBelowDays) {
        return invalid_field("days", "must be an integer from 1 to " + std::to_string(kMaxBelowDays));
    }
    const Day first = tz.day_of(now) - std::chrono::days(out.days - 1);
    auto counts = store.count_left_behind(platform, tz.start_of(first), code);
    if (!counts) {
        return std::move(counts).error();
    }
    out.counts = *counts;
    out.share = share_of(out.counts.below, out.counts.actors);
    return out;
}

// --- Adoption ----------------------------------------------------------------

std::optional<AdoptionInterval> parse_adoption_interval(std::string_view text) {
    if (text == "1h") {
        return AdoptionInterval::Hour;
    }
    if (text == "1d") {
        return AdoptionInterval::Day;
    }
    return std::nullopt;
}

std::string_view adoption_interval_name(AdoptionInterval interval) {
    return interval == AdoptionInterval::Day ? "1d" : "1h";
}

namespace {

constexpr Millis kHour = std::chrono::hours(1);

TimePoint floor_hour(TimePoint t) {
    const std::int64_t ms = to_epoch_ms(t);
    const std::int64_t w = kHour.count();
    const std::int64_t floored = ms >= 0 ? ms / w * w : -((-ms + w - 1) / w) * w;
    return from_epoch_ms(floored);
}

// One bucket: its aligned start and the part of [from, to) it covers.
struct Bucket {
    TimePoint at;
    TimeRange range;
};

// The buckets [from, to) touches, at most kMaxAdoptionBuckets + 1 of them
// (one more tells the caller the range is too long).
std::vector<Bucket> buckets_of(AdoptionInterval interval, TimePoint from, TimePoint to, const TimeZone& tz) {
    std::vector<Bucket> out;
    if (to <= from) {
        return out;
    }
    if (interval == AdoptionInterval::Hour) {
        for (TimePoint at = floor_hour(from); at < to && out.size() <= static_cast<std::size_t>(kMaxAdoptionBuckets);
             at += kHour) {
            out.push_back(Bucket{at, TimeRange{std::max(at, from), std::min(at + kHour, to)}});
        }
        return out;
    }
    for (Day day = tz.day_of(from); out.size() <= static_cast<std::size_t>(kMaxAdoptionBuckets);
         day += std::chrono::days(1)) {
        const TimePoint at = tz.start_of(day);
        if (at >= to) {
            break;
        }
        const TimePoint end = tz.start_of(day + std::chrono::days(1));
        out.push_back(Bucket{at, TimeRange{std::max(at, from), std::min(end, to)}});
    }
    return out;
}

}  // namespace

Result<Adoption> adoption(
    EventStore& store, Platform platform, VersionCode code, const AdoptionQuery& q, TimePoint now, const TimeZone& tz) {
    Adoption out;
    out.interval = q.interval.value_or(AdoptionInterval::Hour);
    const TimePoint to = q.to.value_or(now);
    const TimePoint from = q.from.value_or(to - std::chrono::days(7));
    if (from > to) {
        return invalid_field("from", "must not be after to");
    }
    const std::vector<Bucket> buckets = buckets_of(out.interval, from, to, tz);
    if (buckets.size() > static_cast<std::size_t>(kMaxAdoptionBuckets)) {
        return invalid_field(
            "from", "the range spans more than " + std::to_string(kMaxAdoptionBuckets) + " buckets of the interval");
    }
    if (buckets.empty()) {
        return out;
    }
    std::vector<TimeRange> ranges;
    ranges.reserve(buckets.size());
    for (const Bucket& b : buckets) {
        ranges.push_back(b.range);
    }
    auto counts = store.count_adoption(platform, code, ranges);
    if (!counts) {
        return std::move(counts).error();
    }
    // The store answers with each range's (cut) start; report the aligned one.
    std::size_t next = 0;
    for (const AdoptionCounts& c : *counts) {
        while (next < buckets.size() && buckets[next].range.from < c.at) {
            ++next;
        }
        if (next == buckets.size()) {
            break;
        }
        out.points.push_back(AdoptionPoint{buckets[next].at, c.installs, share_of(c.installs, c.platform_installs)});
    }
    return out;
}

// --- Online peaks -------------------------------------------------------------

Result<std::vector<DailyPeak>> online_peaks(
    SnapshotStore& store, std::optional<Day> from, std::optional<Day> to, TimePoint now, const TimeZone& tz) {
    auto range = resolve_day_range(from, to, tz.day_of(now));
    if (!range) {
        return std::move(range).error();
    }
    std::vector<Day> days;
    std::vector<TimeRange> ranges;
    for (Day d = range->from; d <= range->to; d += std::chrono::days(1)) {
        days.push_back(d);
        ranges.push_back(TimeRange{tz.start_of(d), tz.start_of(d + std::chrono::days(1))});
    }
    auto peaks = store.peaks(ranges);
    if (!peaks) {
        return std::move(peaks).error();
    }
    std::vector<DailyPeak> out;
    for (std::size_t i = 0; i < days.size() && i < peaks->size(); ++i) {
        if ((*peaks)[i]) {
            out.push_back(DailyPeak{days[i], *(*peaks)[i]});
        }
    }
    return out;
}

}  // namespace beacon::telemetry
