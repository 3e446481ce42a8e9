#include "core/time_format.hpp"

#include <charconv>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <limits>

namespace beacon {
namespace {

void put2(char* p, unsigned v) {
    p[0] = static_cast<char>('0' + v / 10);
    p[1] = static_cast<char>('0' + v % 10);
}

// Reads exactly `n` digits at `s[pos]`; false when any is not a digit.
bool digits(std::string_view s, std::size_t pos, std::size_t n, int& out) {
    if (pos + n > s.size()) {
        return false;
    }
    int v = 0;
    for (std::size_t i = 0; i < n; ++i) {
        char c = s[pos + i];
        if (c < '0' || c > '9') {
            return false;
        }
        v = v * 10 + (c - '0');
    }
    out = v;
    return true;
}

std::optional<Day> make_day(int y, int m, int d) {
    using namespace std::chrono;
    year_month_day ymd{year{y}, month{static_cast<unsigned>(m)}, day{static_cast<unsigned>(d)}};
    if (!ymd.ok() || y < 1970 || y > 9999) {
        return std::nullopt;
    }
    return sys_days{ymd};
}

}  // namespace

void append_iso8601(std::string& out, TimePoint t) {
    using namespace std::chrono;
    auto day = floor<days>(t);
    year_month_day ymd{day};
    auto ms_of_day = (t - day).count();
    char buf[24];
    int y = static_cast<int>(ymd.year());
    // Years are 1970..9999 for any time Beacon produces.
    buf[0] = static_cast<char>('0' + (y / 1000) % 10);
    buf[1] = static_cast<char>('0' + (y / 100) % 10);
    put2(buf + 2, static_cast<unsigned>(y % 100));
    buf[4] = '-';
    put2(buf + 5, static_cast<unsigned>(ymd.month()));
    buf[7] = '-';
    put2(buf + 8, static_cast<unsigned>(ymd.day()));
    buf[10] = 'T';
    auto secs = ms_of_day / 1000;
    put2(buf + 11, static_cast<unsigned>(secs / 3600));
    buf[13] = ':';
    put2(buf + 14, static_cast<unsigned>(secs / 60 % 60));
    buf[16] = ':';
    put2(buf + 17, static_cast<unsigned>(secs % 60));
    buf[19] = '.';
    auto ms = static_cast<unsigned>(ms_of_day % 1000);
    buf[20] = static_cast<char>('0' + ms / 100);
    put2(buf + 21, ms % 100);
    buf[23] = 'Z';
    out.append(buf, sizeof buf);
}

std::string format_iso8601(TimePoint t) {
    std::string s;
    s.reserve(24);
    append_iso8601(s, t);
    return s;
}

std::optional<TimePoint> parse_iso8601(std::string_view s) {
    int y, mo, d, h, mi, sec;
    if (!digits(s, 0, 4, y) || s.size() < 20 || s[4] != '-' || !digits(s, 5, 2, mo) || s[7] != '-' ||
        !digits(s, 8, 2, d) || (s[10] != 'T' && s[10] != 't') || !digits(s, 11, 2, h) || s[13] != ':' ||
        !digits(s, 14, 2, mi) || s[16] != ':' || !digits(s, 17, 2, sec)) {
        return std::nullopt;
    }
    if (h > 23 || mi > 59 || sec > 59) {
        return std::nullopt;
    }
    auto day = make_day(y, mo, d);
    if (!day) {
        return std::nullopt;
    }
    std::size_t pos = 19;
    std::int64_t ms = 0;
    if (pos < s.size() && s[pos] == '.') {
        ++pos;
        std::size_t start = pos;
        while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
            if (pos - start < 3) {
                ms = ms * 10 + (s[pos] - '0');
            }
            ++pos;
        }
        std::size_t n = pos - start;
        if (n == 0 || n > 9) {
            return std::nullopt;
        }
        for (std::size_t i = n; i < 3; ++i) {
            ms *= 10;
        }
    }
    if (pos >= s.size()) {
        return std::nullopt;  // no zone: refused
    }
    std::int64_t offset_min = 0;
    char z = s[pos];
    if (z == 'Z' || z == 'z') {
        ++pos;
    } else if (z == '+' || z == '-') {
        int oh, om;
        if (!digits(s, pos + 1, 2, oh)) {
            return std::nullopt;
        }
        std::size_t mpos = pos + 3;
        if (mpos < s.size() && s[mpos] == ':') {
            ++mpos;
        }
        if (!digits(s, mpos, 2, om) || oh > 23 || om > 59) {
            return std::nullopt;
        }
        offset_min = (oh * 60 + om) * (z == '-' ? -1 : 1);
        pos = mpos + 2;
    } else {
        return std::nullopt;
    }
    if (pos != s.size()) {
        return std::nullopt;
    }
    std::int64_t epoch_ms = (static_cast<std::int64_t>(day->time_since_epoch().count()) * 86400 + h * 3600 + mi * 60 +
                             sec - offset_min * 60) *
                                1000 +
                            ms;
    return from_epoch_ms(epoch_ms);
}

std::optional<TimePoint> parse_time_param(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    bool all_digits = true;
    for (char c : s) {
        all_digits = all_digits && c >= '0' && c <= '9';
    }
    if (!all_digits) {
        return parse_iso8601(s);
    }
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    // Bound to year 9999 so later arithmetic cannot overflow.
    if (ec != std::errc{} || p != s.data() + s.size() || v > 253402300799999) {
        return std::nullopt;
    }
    return from_epoch_ms(v);
}

std::optional<Day> parse_day(std::string_view s) {
    int y, m, d;
    if (s.size() != 10 || !digits(s, 0, 4, y) || s[4] != '-' || !digits(s, 5, 2, m) || s[7] != '-' ||
        !digits(s, 8, 2, d)) {
        return std::nullopt;
    }
    return make_day(y, m, d);
}

std::string format_day(Day d) {
    return format_iso8601(TimePoint{d}).substr(0, 10);
}

std::optional<std::int64_t> parse_duration_seconds(std::string_view s) {
    if (s.empty()) {
        return std::nullopt;
    }
    std::int64_t unit = 1;
    switch (s.back()) {
        case 's':
            unit = 1;
            s.remove_suffix(1);
            break;
        case 'm':
            unit = 60;
            s.remove_suffix(1);
            break;
        case 'h':
            unit = 3600;
            s.remove_suffix(1);
            break;
        case 'd':
            unit = 86400;
            s.remove_suffix(1);
            break;
        default:
            break;
    }
    std::int64_t v = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (s.empty() || ec != std::errc{} || p != s.data() + s.size() || v <= 0 ||
        v > std::numeric_limits<std::int64_t>::max() / unit / 1000) {
        return std::nullopt;
    }
    return v * unit;
}

std::string format_iso8601_basic(TimePoint t) {
    const auto secs = std::chrono::floor<std::chrono::seconds>(t);
    const auto day = std::chrono::floor<std::chrono::days>(secs);
    const std::chrono::year_month_day ymd{day};
    const std::chrono::hh_mm_ss hms{secs - day};
    char buf[32];
    std::snprintf(buf,
                  sizeof buf,
                  "%04d%02u%02uT%02d%02d%02dZ",
                  static_cast<int>(ymd.year()),
                  static_cast<unsigned>(ymd.month()),
                  static_cast<unsigned>(ymd.day()),
                  static_cast<int>(hms.hours().count()),
                  static_cast<int>(hms.minutes().count()),
                  static_cast<int>(hms.seconds().count()));
    return buf;
}

}  // namespace beacon
