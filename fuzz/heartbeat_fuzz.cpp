// The heartbeat envelope after JSON (telemetry/presence_service.hpp,
// parse_heartbeat), with and without a token's user.
#include <boost/json/parse.hpp>

#include "fuzz_input.hpp"
#include "telemetry/presence_service.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(beacon::fuzz::as_text(data, size), ec);
    if (ec) {
        return 0;
    }
    (void)beacon::telemetry::parse_heartbeat(body, std::nullopt);
    (void)beacon::telemetry::parse_heartbeat(body, std::string("token-user"));
    return 0;
}
