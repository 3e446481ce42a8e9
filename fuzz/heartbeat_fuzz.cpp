// The heartbeat envelope after JSON (telemetry/presence_service.hpp,
// parse_heartbeat), with and without a token's user; and where the flat
// fast path (core/flat_json.hpp) takes the body, the same answer from it.
#include <boost/json/parse.hpp>

#include "core/flat_json.hpp"
#include "fuzz_input.hpp"
#include "telemetry/presence_service.hpp"

namespace {

bool same(const beacon::Result<beacon::telemetry::Heartbeat>& a,
          const beacon::Result<beacon::telemetry::Heartbeat>& b) {
    if (a.ok() != b.ok()) {
        return false;
    }
    if (a.ok()) {
        return a->install_id == b->install_id && a->user_id == b->user_id && a->platform == b->platform &&
               a->app_version == b->app_version && a->region == b->region && a->version_code == b->version_code;
    }
    return a.error().fields.size() == b.error().fields.size() && !a.error().fields.empty() &&
           a.error().fields[0].field == b.error().fields[0].field &&
           a.error().fields[0].message == b.error().fields[0].message;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const auto text = beacon::fuzz::as_text(data, size);
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(text, ec);
    const auto flat = beacon::FlatObject::parse(text);
    if (ec) {
        if (flat) {
            __builtin_trap();  // the fast path took what JSON refuses
        }
        return 0;
    }
    for (const std::optional<std::string>& token :
         {std::optional<std::string>(), std::optional<std::string>("token-user")}) {
        auto full = beacon::telemetry::parse_heartbeat(body, token);
        if (flat && !same(beacon::telemetry::parse_heartbeat(*flat, token), full)) {
            __builtin_trap();
        }
    }
    return 0;
}
