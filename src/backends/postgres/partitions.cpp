#include "backends/postgres/partitions.hpp"

#include <charconv>
#include <chrono>
#include <cstdio>

namespace beacon::backends::postgres::partitions {

namespace {

constexpr std::string_view kPrefix = "telemetry_events_p";

int year_of(Month m) {
    return m / 12;
}
unsigned month_number(Month m) {
    return static_cast<unsigned>(m % 12) + 1;
}

// 'YYYY-MM-01 00:00:00+00'
std::string bound(Month m) {
    char buf[40];
    std::snprintf(buf, sizeof buf, "'%04d-%02u-01 00:00:00+00'", year_of(m), month_number(m));
    return buf;
}

}  // namespace

Month month_of(TimePoint t) {
    const std::chrono::year_month_day ymd{std::chrono::floor<std::chrono::days>(t)};
    return static_cast<int>(ymd.year()) * 12 + static_cast<int>(static_cast<unsigned>(ymd.month())) - 1;
}

TimePoint month_start(Month m) {
    const std::chrono::sys_days first{std::chrono::year{year_of(m)} / std::chrono::month{month_number(m)} / 1};
    return TimePoint{first};
}

std::string name(Month m) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%04d%02u", year_of(m), month_number(m));
    return std::string(kPrefix) + buf;
}

std::optional<Month> parse_name(std::string_view relname) {
    if (!relname.starts_with(kPrefix) || relname.size() != kPrefix.size() + 6) {
        return std::nullopt;
    }
    std::string_view digits = relname.substr(kPrefix.size());
    int year = 0;
    int month = 0;
    auto y = std::from_chars(digits.data(), digits.data() + 4, year);
    auto mo = std::from_chars(digits.data() + 4, digits.data() + 6, month);
    if (y.ec != std::errc{} || y.ptr != digits.data() + 4 || mo.ec != std::errc{} || mo.ptr != digits.data() + 6 ||
        month < 1 || month > 12) {
        return std::nullopt;
    }
    return year * 12 + month - 1;
}

std::string create_sql(Month m) {
    return "CREATE TABLE IF NOT EXISTS " + name(m) + " PARTITION OF telemetry_events FOR VALUES FROM (" + bound(m) +
           ") TO (" + bound(m + 1) + ")";
}

std::string count_sql(Month m) {
    return "SELECT count(*) FROM " + name(m);
}

std::string drop_sql(Month m) {
    return "DROP TABLE IF EXISTS " + name(m);
}

}  // namespace beacon::backends::postgres::partitions
