#pragma once

#include <optional>
#include <string_view>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::telemetry {

// Bucket widths of GET /admin/telemetry/online/history: "1m", "5m", "1h".
std::optional<Millis> parse_history_interval(std::string_view text);

// Aligned buckets of width `interval` that [from, to) touches.
std::int64_t buckets_touched(Millis interval, TimePoint from, TimePoint to);

constexpr std::int64_t kMaxHistoryBuckets = 10000;

// Online history: validates the range (from <= to; at most 10,000 buckets,
// else InvalidArgument naming the field) and reads the buckets.
Result<std::vector<SnapshotBucket>> online_history(SnapshotStore& store, Millis interval, TimePoint from, TimePoint to);

// GET /admin/telemetry/online/history with its defaults: interval 5m, `to`
// now, `from` 24 h before `to`.
struct HistoryQuery {
    std::optional<Millis> interval;
    std::optional<TimePoint> from;
    std::optional<TimePoint> to;
};
struct History {
    Millis interval;
    std::vector<SnapshotBucket> buckets;
};
Result<History> online_history(SnapshotStore& store, TimePoint now, const HistoryQuery& q);

// "1m", "5m" or "1h": the name parse_history_interval reads.
std::string_view history_interval_name(Millis interval);

// The opaque pagination cursor of GET /admin/telemetry/events: it carries
// the last id returned (the versions list has its own, release_service.hpp).
std::string encode_cursor(std::int64_t last_id);
std::optional<std::int64_t> decode_cursor(std::string_view cursor);

}  // namespace beacon::telemetry
