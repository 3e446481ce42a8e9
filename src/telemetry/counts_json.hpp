#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace beacon::telemetry {

// A breakdown of counts (DailyCounts::by_platform, by_region, DauEstimate's)
// as a JSON object {"android": 300, ...}: what the API returns and what the
// SQL adapters store in their dau_by_* columns.
boost::json::object counts_object(const std::map<std::string, std::int64_t>& counts);
std::string counts_to_json(const std::map<std::string, std::int64_t>& counts);
// Reads what counts_to_json wrote into `out`; false unless `text` is an object
// of integers.
bool counts_from_json(std::string_view text, std::map<std::string, std::int64_t>& out);

}  // namespace beacon::telemetry
