#include "telemetry/version_code.hpp"

namespace beacon::telemetry {

std::optional<VersionCode> read_version_code(const boost::json::value& v) {
    if (const auto* i = v.if_int64(); i != nullptr && *i >= 0 && *i <= kMaxVersionCode) {
        return static_cast<VersionCode>(*i);
    }
    if (const auto* u = v.if_uint64(); u != nullptr && *u <= static_cast<std::uint64_t>(kMaxVersionCode)) {
        return static_cast<VersionCode>(*u);
    }
    return std::nullopt;
}

}  // namespace beacon::telemetry
