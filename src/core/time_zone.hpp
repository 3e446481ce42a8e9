#pragma once

#include <string>
#include <string_view>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace date {
class time_zone;
}

namespace beacon {

// The reporting time zone (BEACON_TIMEZONE): maps instants to calendar days and
// back. Backed by the system's IANA database (/usr/share/zoneinfo) through
// Howard Hinnant's date/tz library. Cheap to copy; thread-safe.
class TimeZone {
public:
    // Loads an IANA zone by name ("UTC", "Asia/Shanghai"); InvalidArgument if unknown.
    static Result<TimeZone> load(std::string_view name);
    static TimeZone utc();

    const std::string& name() const { return name_; }
    // The local calendar day that contains `t`.
    Day day_of(TimePoint t) const;
    // The first instant of local day `d` (local midnight; on a day whose
    // midnight is skipped by a DST change, the first instant that exists).
    TimePoint start_of(Day d) const;

private:
    TimeZone(const date::time_zone* tz, std::string name) : tz_(tz), name_(std::move(name)) {}
    const date::time_zone* tz_;  // null means UTC
    std::string name_;
};

}  // namespace beacon
