#include "telemetry/dau_service.hpp"

#include <algorithm>
#include <map>

#include "telemetry/day_range.hpp"

namespace beacon::telemetry {

DauService::DauService(EventStore& events,
                       DailyStatsStore& stats,
                       PresenceStore& presence,
                       const Clock& clock,
                       const TelemetrySettings& settings)
    : events_(events), stats_(stats), presence_(presence), clock_(clock), settings_(settings) {}

Result<std::vector<DauDay>> DauService::range(std::optional<Day> from_day, std::optional<Day> to_day) {
    auto days_asked = resolve_day_range(from_day, to_day, today());
    if (!days_asked) {
        return std::move(days_asked).error();
    }
    const Day from = days_asked->from;
    const Day to = days_asked->to;
    auto rows = stats_.range(from, to);
    if (!rows) {
        return std::move(rows).error();
    }
    std::map<Day, DauDay> days;
    for (auto& r : *rows) {
        days[r.day] = DauDay{r.day, std::move(r.counts), r.exact, r.computed_at};
    }
    // Estimates live three days; only those days can lack a row yet have data.
    Day today = this->today();
    Day first = std::max(from, today - std::chrono::days(3));
    Day last = std::min(to, today);
    for (Day d = first; d <= last; d += std::chrono::days(1)) {
        if (days.contains(d)) {
            continue;
        }
        auto est = presence_.estimate_dau(d);
        if (!est) {
            return std::move(est).error();
        }
        if (est->total > 0) {
            DauDay day{d, {}, false, std::nullopt};
            day.counts.total = est->total;
            day.counts.by_platform = std::move(est->by_platform);
            days[d] = std::move(day);
        }
    }
    std::vector<DauDay> out;
    out.reserve(days.size());
    for (auto& [d, v] : days) {
        out.push_back(std::move(v));
    }
    return out;
}

Result<DailyCounts> DauService::compute(Day day, bool exact) {
    TimePoint start = settings_.tz.start_of(day);
    TimePoint end = settings_.tz.start_of(day + std::chrono::days(1));
    auto counts = events_.count_session_actors(start, end);
    if (!counts) {
        return std::move(counts).error();
    }
    if (counts->total > 0) {
        auto r = stats_.upsert(DailyStats{day, *counts, exact, clock_.now()});
        if (!r) {
            return std::move(r).error();
        }
    }
    return counts;
}

Result<std::vector<Day>> DauService::days_missing_exact(int lookback_days) {
    Day today = this->today();
    Day from = today - std::chrono::days(lookback_days);
    Day to = today - std::chrono::days(1);
    auto rows = stats_.range(from, to);
    if (!rows) {
        return std::move(rows).error();
    }
    std::vector<Day> missing;
    for (Day d = from; d <= to; d += std::chrono::days(1)) {
        bool have = std::any_of(rows->begin(), rows->end(), [&](const DailyStats& s) { return s.day == d && s.exact; });
        if (!have) {
            missing.push_back(d);
        }
    }
    return missing;
}

}  // namespace beacon::telemetry
