#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "core/clock.hpp"

// Monthly partitions of telemetry_events.
//
// A partition holds one calendar month in UTC: telemetry_events_pYYYYMM with
// bounds FROM ('YYYY-MM-01 00:00:00+00') TO (the first of the next month).
// The adapter creates them: at open() and at every retention run for the
// current month and the next ones (PgOptions::months_ahead), and on demand
// when an append meets a month that has none (events may be up to 30 days
// old, or come from a clock that is off). Retention drops a partition whose
// upper bound is at or before the cutoff and leaves the partition that holds
// the cutoff alone (month-granular retention, docs/decisions/0008). Only names of this form are touched, so a
// partition an operator attaches under another name is left alone.
namespace beacon::backends::postgres::partitions {

// Months since January of year 0: year * 12 + (month - 1), in UTC.
using Month = int;

Month month_of(TimePoint t);
TimePoint month_start(Month m);
// "telemetry_events_p202611"
std::string name(Month m);
// The month of a partition named by name(); nullopt for any other name.
std::optional<Month> parse_name(std::string_view relname);

// CREATE TABLE IF NOT EXISTS ... PARTITION OF telemetry_events FOR VALUES ...
std::string create_sql(Month m);
std::string count_sql(Month m);
std::string drop_sql(Month m);

}  // namespace beacon::backends::postgres::partitions
