// Times, days, durations (core/time_format.hpp) and the events listing's
// cursor (telemetry/history.hpp): whatever a query string carries.
#include "core/time_format.hpp"
#include "fuzz_input.hpp"
#include "telemetry/history.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = beacon::fuzz::as_text(data, size);
    if (auto t = beacon::parse_iso8601(text)) {
        (void)beacon::format_iso8601(*t);
    }
    (void)beacon::parse_time_param(text);
    if (auto d = beacon::parse_day(text)) {
        (void)beacon::format_day(*d);
    }
    (void)beacon::parse_duration_seconds(text);
    if (auto id = beacon::telemetry::decode_cursor(text)) {
        (void)beacon::telemetry::encode_cursor(*id);
    }
    return 0;
}
