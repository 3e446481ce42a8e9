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
// The value, when present and not empty.
std::optional<std::string> text_param(const Request& req, std::string_view name);

}  // namespace beacon::http
