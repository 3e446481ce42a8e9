#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

#include "releases/release_version.hpp"

namespace beacon::http {

// The JSON shapes of API.md "Admin releases": the version object and its
// artifact.
boost::json::object version_json(const releases::ReleaseVersion& v);
boost::json::object artifact_json(const releases::Artifact& a);

// A value, or JSON null when absent.
boost::json::value json_or_null(const std::optional<std::string>& s);
boost::json::value json_or_null(const std::optional<std::int64_t>& v);

}  // namespace beacon::http
