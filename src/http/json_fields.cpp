#include "http/json_fields.hpp"

#include <cstdint>

#include "core/time_format.hpp"

namespace beacon::http {

namespace json = boost::json;

Result<void> JsonFields::string(std::string_view key, std::optional<std::string>& out) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return ok();
    }
    if (!v->is_string()) {
        return invalid_field(std::string(key), "must be a string");
    }
    out = std::string(v->get_string());
    return ok();
}

Result<void> JsonFields::integer(std::string_view key, std::optional<std::int64_t>& out) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return ok();
    }
    if (v->is_int64()) {
        out = v->get_int64();
    } else if (v->is_uint64() && v->get_uint64() <= static_cast<std::uint64_t>(INT64_MAX)) {
        out = static_cast<std::int64_t>(v->get_uint64());
    } else {
        return invalid_field(std::string(key), "must be an integer");
    }
    return ok();
}

Result<void> JsonFields::boolean(std::string_view key, std::optional<bool>& out) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return ok();
    }
    if (!v->is_bool()) {
        return invalid_field(std::string(key), "must be true or false");
    }
    out = v->get_bool();
    return ok();
}

Result<void> JsonFields::time(std::string_view key, std::optional<TimePoint>& out) const {
    const json::value* v = o_.if_contains(key);
    if (v == nullptr || v->is_null()) {
        return ok();
    }
    if (v->is_string()) {
        out = parse_iso8601(std::string_view(v->get_string()));
    } else if (v->is_int64() && v->get_int64() >= 0) {
        out = from_epoch_ms(v->get_int64());
    }
    if (!out) {
        return invalid_field(std::string(key), "must be ISO-8601 with a zone or epoch milliseconds");
    }
    return ok();
}

Result<void> first_error(std::initializer_list<Result<void>> reads) {
    for (const auto& r : reads) {
        if (!r) {
            return r.error();
        }
    }
    return ok();
}

}  // namespace beacon::http
