#include "telemetry/day_range.hpp"

#include <string>

namespace beacon::telemetry {

Result<DayRange> resolve_day_range(std::optional<Day> from, std::optional<Day> to, Day today) {
    DayRange r;
    r.to = to.value_or(today);
    r.from = from.value_or(r.to - std::chrono::days(kDefaultRangeDays - 1));
    if (r.from > r.to) {
        return invalid_field("from", "must not be after to");
    }
    if ((r.to - r.from).count() + 1 > kMaxRangeDays) {
        return invalid_field("from", "the range spans more than " + std::to_string(kMaxRangeDays) + " days");
    }
    return r;
}

}  // namespace beacon::telemetry
