#include "telemetry/counts_json.hpp"

#include <boost/json.hpp>

namespace beacon::telemetry {

boost::json::object counts_object(const std::map<std::string, std::int64_t>& counts) {
    boost::json::object o;
    for (const auto& [key, n] : counts) {
        o[key] = n;
    }
    return o;
}

std::string counts_to_json(const std::map<std::string, std::int64_t>& counts) {
    return boost::json::serialize(counts_object(counts));
}

bool counts_from_json(std::string_view text, std::map<std::string, std::int64_t>& out) {
    boost::system::error_code ec;
    boost::json::value v = boost::json::parse(text, ec);
    if (ec || !v.is_object()) {
        return false;
    }
    for (const auto& kv : v.get_object()) {
        if (!kv.value().is_int64()) {
            return false;
        }
        out.emplace(std::string(kv.key()), kv.value().get_int64());
    }
    return true;
}

}  // namespace beacon::telemetry
