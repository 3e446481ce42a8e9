// The event batch envelope after JSON (telemetry/event_batch.hpp): context,
// events, per-event rejections, properties limits.
#include <boost/json/parse.hpp>

#include "core/clock.hpp"
#include "fuzz_input.hpp"
#include "telemetry/event_batch.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = beacon::fuzz::as_text(data, size);
    boost::system::error_code ec;
    const boost::json::value body = boost::json::parse(text, ec);
    if (ec) {
        return 0;
    }
    const beacon::TimePoint now = beacon::from_epoch_ms(1'795'600'000'000);
    (void)beacon::telemetry::parse_event_batch(body, text, now, std::nullopt);
    (void)beacon::telemetry::parse_event_batch(body, text, now, std::string("token-user"));
    return 0;
}
