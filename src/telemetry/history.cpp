#include "telemetry/history.hpp"

#include <charconv>

namespace beacon::telemetry {

std::optional<Millis> parse_history_interval(std::string_view text) {
    if (text == "1m") {
        return std::chrono::minutes(1);
    }
    if (text == "5m") {
        return std::chrono::minutes(5);
    }
    if (text == "1h") {
        return std::chrono::hours(1);
    }
    return std::nullopt;
}

std::int64_t buckets_touched(Millis interval, TimePoint from, TimePoint to) {
    if (to <= from) {
        return 0;
    }
    auto w = interval.count();
    auto floor_div = [w](std::int64_t x) { return x >= 0 ? x / w : -((-x + w - 1) / w); };
    return floor_div(to_epoch_ms(to) - 1) - floor_div(to_epoch_ms(from)) + 1;
}

Result<std::vector<SnapshotBucket>> online_history(SnapshotStore& store,
                                                   Millis interval,
                                                   TimePoint from,
                                                   TimePoint to) {
    if (from > to) {
        return invalid_field("from", "must not be after to");
    }
    if (buckets_touched(interval, from, to) > kMaxHistoryBuckets) {
        return invalid_field("from", "the range spans more than 10000 buckets of the interval");
    }
    if (from == to) {
        return std::vector<SnapshotBucket>{};
    }
    return store.buckets(interval, from, to);
}

Result<History> online_history(SnapshotStore& store, TimePoint now, const HistoryQuery& q) {
    History h{q.interval.value_or(std::chrono::minutes(5)), {}};
    TimePoint to = q.to.value_or(now);
    TimePoint from = q.from.value_or(to - std::chrono::hours(24));
    auto buckets = online_history(store, h.interval, from, to);
    if (!buckets) {
        return std::move(buckets).error();
    }
    h.buckets = std::move(*buckets);
    return h;
}

std::string_view history_interval_name(Millis interval) {
    return interval == std::chrono::minutes(1) ? "1m" : interval == std::chrono::hours(1) ? "1h" : "5m";
}

std::string encode_cursor(std::int64_t last_id) {
    std::string cursor = "c";
    cursor += std::to_string(last_id);
    return cursor;
}

std::optional<std::int64_t> decode_cursor(std::string_view cursor) {
    if (cursor.size() < 2 || cursor.size() > 20 || cursor[0] != 'c') {
        return std::nullopt;
    }
    std::int64_t id = 0;
    auto [p, ec] = std::from_chars(cursor.data() + 1, cursor.data() + cursor.size(), id);
    if (ec != std::errc{} || p != cursor.data() + cursor.size() || id <= 0) {
        return std::nullopt;
    }
    return id;
}

}  // namespace beacon::telemetry
