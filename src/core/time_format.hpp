#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

namespace beacon {

// "2026-11-25T08:00:00.000Z": ISO-8601, UTC, milliseconds. Appends to `out`
// (24 bytes) so hot paths can reuse a buffer.
void append_iso8601(std::string& out, TimePoint t);
std::string format_iso8601(TimePoint t);
// "20261125T080000Z": ISO-8601 basic format, UTC, whole seconds (SigV4's
// X-Amz-Date; names of files set aside).
std::string format_iso8601_basic(TimePoint t);

// ISO-8601 date-time that names its offset: `YYYY-MM-DDTHH:MM:SS[.fff...](Z|+HH:MM|-HH:MM|+HHMM)`.
// Fractions past milliseconds are truncated. A time without a zone is refused
// (nullopt), as are impossible dates (2026-02-30) and years outside 1970..9999.
std::optional<TimePoint> parse_iso8601(std::string_view text);

// Query-string times: all digits means epoch milliseconds, else parse_iso8601.
std::optional<TimePoint> parse_time_param(std::string_view text);

// Calendar days: "2026-11-25".
std::optional<Day> parse_day(std::string_view text);
std::string format_day(Day d);

// Settings durations: "90" (seconds) or a number with a unit s, m, h, d.
// Returns seconds; nullopt for anything else, zero, or overflow.
std::optional<std::int64_t> parse_duration_seconds(std::string_view text);

}  // namespace beacon
