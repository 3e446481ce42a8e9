#pragma once

#include <optional>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace beacon::telemetry {

// The days a day-by-day listing covers (GET /admin/telemetry/dau, and the
// other listings that take "the /dau rules for days, defaults and range"),
// both ends inclusive, in the reporting time zone.
struct DayRange {
    Day from;
    Day to;
};

inline constexpr int kDefaultRangeDays = 30;
inline constexpr int kMaxRangeDays = 366;

// `to` defaults to `today` and `from` to 29 days before `to`. `from` after
// `to`, or a range of more than 366 days, is InvalidArgument naming `from`.
Result<DayRange> resolve_day_range(std::optional<Day> from, std::optional<Day> to, Day today);

}  // namespace beacon::telemetry
