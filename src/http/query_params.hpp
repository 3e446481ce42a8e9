#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"
#include "http/request.hpp"

namespace beacon::http {

// Readers of query parameters. Each gives nullopt when the parameter is
// absent, and InvalidArgument naming it when its value is malformed.

// Epoch milliseconds (digits) or ISO-8601 with Z or an offset.
Result<std::optional<TimePoint>> time_param(const Request& req, std::string_view name);
// A calendar day, "2026-11-25".
Result<std::optional<Day>> day_param(const Request& req, std::string_view name);
// A whole number (digits, with an optional minus sign) that fits 64 bits;
// `rule` is the message of the error ("must be an integer from 1 to 500").
Result<std::optional<std::int64_t>> integer_param(const Request& req, std::string_view name, std::string_view rule);
// `from` and `to` as times (from checked first), and as days (to checked
// first): the range parameters of the admin listings.
struct TimeBounds {
    std::optional<TimePoint> from;
    std::optional<TimePoint> to;
};
Result<TimeBounds> time_bounds(const Request& req);
struct DayBounds {
    std::optional<Day> from;
    std::optional<Day> to;
};
Result<DayBounds> day_bounds(const Request& req);
// The value, when present and not empty.
std::optional<std::string> text_param(const Request& req, std::string_view name);

}  // namespace beacon::http
