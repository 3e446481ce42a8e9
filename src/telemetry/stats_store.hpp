#pragma once

#include <optional>
#include <span>
#include <vector>

#include "core/result.hpp"
#include "telemetry/model.hpp"

namespace beacon::telemetry {

// Port: daily_active_stats, one row per day. Thread-safe.
class DailyStatsStore {
public:
    virtual ~DailyStatsStore() = default;
    // Inserts or replaces the row of stats.day.
    virtual Result<void> upsert(const DailyStats& stats) = 0;
    // Rows with from <= day <= to, sorted by day.
    virtual Result<std::vector<DailyStats>> range(Day from, Day to) = 0;
};

// Port: online_snapshots, one row per minute. Thread-safe.
class SnapshotStore {
public:
    virtual ~SnapshotStore() = default;
    virtual Result<void> insert(const OnlineSnapshot& s) = 0;
    // Snapshots with from <= ts < to grouped into buckets of `interval`
    // aligned to the Unix epoch (UTC); empty buckets omitted; sorted by time;
    // avg rounded to 2 decimals.
    virtual Result<std::vector<SnapshotBucket>> buckets(Millis interval, TimePoint from, TimePoint to) = 0;
    // Per range, the highest snapshot in it and the earliest ts that
    // reached it; nullopt for a range without snapshots. Parallel to `ranges`.
    virtual Result<std::vector<std::optional<OnlinePeak>>> peaks(std::span<const TimeRange> ranges) = 0;
    // Snapshots with from <= ts < to, in order: by ts, then in the order they
    // were inserted (manual runs may store several in one minute). For the
    // online.drop check, which reads a few minutes' worth.
    virtual Result<std::vector<OnlineSnapshot>> snapshots_between(TimePoint from, TimePoint to) = 0;
    // Retention: removes snapshots with ts < t; returns how many.
    virtual Result<std::int64_t> delete_snapshots_before(TimePoint t) = 0;
};

}  // namespace beacon::telemetry
