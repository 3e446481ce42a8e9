// The settings (app/config.hpp, resolve_config): the input split at its first
// newline into a value given to every setting through the environment (the
// URL, duration, size, time-zone, rate-limit, CIDR and origin parsers) and
// a TOML file.
#include <map>
#include <string>

#include "app/config.hpp"
#include "fuzz_input.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const std::string_view text = beacon::fuzz::as_text(data, size);
    const std::size_t eol = text.find('\n');
    const std::string value(text.substr(0, eol));
    for (const beacon::app::Setting& s : beacon::app::settings()) {
        (void)beacon::app::resolve_config({}, {{std::string(s.env), value}}, std::nullopt);
    }
    if (eol != std::string_view::npos) {
        (void)beacon::app::resolve_config({}, {}, beacon::fuzz::scratch_file("beacon.toml", text.substr(eol + 1)));
    }
    return 0;
}
