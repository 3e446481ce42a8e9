#pragma once

#include <optional>
#include <string_view>

#include <boost/json/value.hpp>

#include "telemetry/model.hpp"

namespace beacon::telemetry {

// The `versionCode` of a heartbeat, an events context or an event (API.md
// 1.1 "Versions in telemetry"): a JSON integer 0 to 2147483647. nullopt for
// anything else (a string, a fraction such as 210.5, a negative or larger
// number); the caller reports kVersionCodeRule on the field. 210.0 is an
// integer in JSON's number model but not the literal the contract asks for,
// so it is refused too: a client that sends it has a bug worth seeing.
std::optional<VersionCode> read_version_code(const boost::json::value& v);

inline constexpr std::string_view kVersionCodeRule = "must be an integer from 0 to 2147483647";

}  // namespace beacon::telemetry
