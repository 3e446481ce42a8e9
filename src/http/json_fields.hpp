#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "core/clock.hpp"
#include "core/result.hpp"

namespace beacon::http {

// Typed readers of the fields of a JSON request object. Each reads field
// `key` into `out`: absent or null leaves `out` empty; a value of the wrong
// type is InvalidArgument naming the field. Unknown fields are ignored
// (API.md "Conventions").
class JsonFields {
public:
    explicit JsonFields(const boost::json::object& o) : o_(o) {}

    Result<void> string(std::string_view key, std::optional<std::string>& out) const;
    Result<void> integer(std::string_view key, std::optional<std::int64_t>& out) const;
    Result<void> boolean(std::string_view key, std::optional<bool>& out) const;
    // ISO-8601 with a zone, or epoch milliseconds.
    Result<void> time(std::string_view key, std::optional<TimePoint>& out) const;

    // For PATCH, where null clears a field: absent leaves `out` unset, null
    // sets it to an empty optional, a value sets it to that value.
    template <typename T>
    using Reader = Result<void> (JsonFields::*)(std::string_view, std::optional<T>&) const;
    template <typename T>
    Result<void> nullable(std::string_view key, std::optional<std::optional<T>>& out, Reader<T> read) const {
        const boost::json::value* v = o_.if_contains(key);
        if (v == nullptr) {
            return ok();
        }
        std::optional<T> value;
        if (!v->is_null()) {
            if (auto r = (this->*read)(key, value); !r) {
                return r;
            }
        }
        out = std::move(value);
        return ok();
    }

private:
    const boost::json::object& o_;
};

// The first failure among `reads`, in order (each has been evaluated), or ok.
Result<void> first_error(std::initializer_list<Result<void>> reads);

}  // namespace beacon::http
