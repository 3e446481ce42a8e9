#include "core/time_zone.hpp"

#include <date/tz.h>

namespace beacon {

Result<TimeZone> TimeZone::load(std::string_view name) {
    if (name == "UTC" || name == "Etc/UTC") {
        return utc();
    }
    try {
        const date::time_zone* tz = date::locate_zone(name);
        return TimeZone(tz, std::string(name));
    } catch (const std::exception& e) {
        return make_error(ErrorCode::InvalidArgument, "unknown time zone '" + std::string(name) + "'");
    }
}

TimeZone TimeZone::utc() {
    return TimeZone(nullptr, "UTC");
}

Day TimeZone::day_of(TimePoint t) const {
    if (tz_ == nullptr) {
        return std::chrono::floor<std::chrono::days>(t);
    }
    auto info = tz_->get_info(date::sys_time<Millis>{t.time_since_epoch()});
    auto local = t + std::chrono::duration_cast<Millis>(info.offset);
    return std::chrono::floor<std::chrono::days>(local);
}

TimePoint TimeZone::start_of(Day d) const {
    if (tz_ == nullptr) {
        return TimePoint{d};
    }
    date::local_time<Millis> local{std::chrono::duration_cast<Millis>(d.time_since_epoch())};
    auto info = tz_->get_info(local);
    if (info.result == date::local_info::nonexistent) {
        // Midnight falls in a gap: the day starts when the gap ends.
        return TimePoint{std::chrono::duration_cast<Millis>(info.first.end.time_since_epoch())};
    }
    // Unique or ambiguous: take the earlier (first) mapping.
    auto sys = local.time_since_epoch() - std::chrono::duration_cast<Millis>(info.first.offset);
    return TimePoint{sys};
}

}  // namespace beacon
