#pragma once

#include <optional>
#include <vector>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "telemetry/event_store.hpp"
#include "telemetry/presence_store.hpp"
#include "telemetry/settings.hpp"
#include "telemetry/stats_store.hpp"

namespace beacon::telemetry {

// One day of GET /admin/telemetry/dau.
struct DauDay {
    Day day;
    DailyCounts counts;
    bool exact = false;
    std::optional<TimePoint> computed_at;  // null for a pure estimate
};

// Daily active users: exact counts computed from the event log (nightly and
// rolling jobs) and the realtime estimate for days not computed yet.
// Thread-safe.
class DauService {
public:
    DauService(EventStore& events,
               DailyStatsStore& stats,
               PresenceStore& presence,
               const Clock& clock,
               const TelemetrySettings& settings);

    // Days in [from, to] with any data, sorted. A day computed exactly comes
    // from daily_active_stats; else the rolling job's row; else, for the last
    // three days (how long estimates live), the HyperLogLog estimate. The
    // range follows resolve_day_range (defaults: the 30 days to today; at
    // most 366 days; InvalidArgument naming `from`).
    Result<std::vector<DauDay>> range(std::optional<Day> from, std::optional<Day> to);

    // Counts distinct actors of `day` from the event log and stores the row
    // (exact for the nightly job, not exact for the rolling one). A day with
    // no data stores nothing. Returns the counts.
    Result<DailyCounts> compute(Day day, bool exact);

    // Days in [today - lookback, today - 1] that have no exact row: what a
    // nightly run missed while the server was down.
    Result<std::vector<Day>> days_missing_exact(int lookback_days);

    Day today() const { return settings_.tz.day_of(clock_.now()); }

private:
    EventStore& events_;
    DailyStatsStore& stats_;
    PresenceStore& presence_;
    const Clock& clock_;
    TelemetrySettings settings_;
};

}  // namespace beacon::telemetry
