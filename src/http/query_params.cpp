#include "http/query_params.hpp"

#include <charconv>

#include "core/time_format.hpp"

namespace beacon::http {

Result<std::optional<TimePoint>> time_param(const Request& req, std::string_view name) {
    auto v = req.query_param(name);
    if (!v) {
        return std::optional<TimePoint>();
    }
    auto t = parse_time_param(*v);
    if (!t) {
        return invalid_field(std::string(name), "must be epoch milliseconds or ISO-8601 with a zone");
    }
    return std::optional<TimePoint>(*t);
}

Result<std::optional<Day>> day_param(const Request& req, std::string_view name) {
    auto v = req.query_param(name);
    if (!v) {
        return std::optional<Day>();
    }
    auto d = parse_day(*v);
    if (!d) {
        return invalid_field(std::string(name), "must be a day such as 2026-11-25");
    }
    return std::optional<Day>(*d);
}

Result<std::optional<std::int64_t>> integer_param(const Request& req, std::string_view name, std::string_view rule) {
    auto v = req.query_param(name);
    if (!v) {
        return std::optional<std::int64_t>();
    }
    std::int64_t n = 0;
    auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
    if (v->empty() || ec != std::errc{} || p != v->data() + v->size()) {
        return invalid_field(std::string(name), std::string(rule));
    }
    return std::optional<std::int64_t>(n);
}

std::optional<std::string> text_param(const Request& req, std::string_view name) {
    auto v = req.query_param(name);
    return v && !v->empty() ? std::optional<std::string>(std::string(*v)) : std::nullopt;
}

Result<TimeBounds> time_bounds(const Request& req) {
    auto from = time_param(req, "from");
    if (!from) {
        return std::move(from).error();
    }
    auto to = time_param(req, "to");
    if (!to) {
        return std::move(to).error();
    }
    return TimeBounds{*from, *to};
}

Result<DayBounds> day_bounds(const Request& req) {
    auto to = day_param(req, "to");
    if (!to) {
        return std::move(to).error();
    }
    auto from = day_param(req, "from");
    if (!from) {
        return std::move(from).error();
    }
    return DayBounds{*from, *to};
}

}  // namespace beacon::http
